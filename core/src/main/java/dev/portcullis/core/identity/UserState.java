package dev.portcullis.core.identity;

/** Where a user is in their life. */
public enum UserState {
    /** Created by an admin; has not completed enrollment yet. */
    INVITED,
    /** Enrolled: has a password, a second factor and recovery codes. */
    ACTIVE,
    /** May not enroll, reset a password or start tunnel sessions; their invites and sessions were ended. */
    DISABLED
}
