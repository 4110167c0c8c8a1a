package dev.portcullis.core.link;

/** What core's link to one component is doing. */
public enum LinkPhase {
    /** Dialing a component that has not joined yet. */
    JOINING,
    /** Dialing, or waiting for the next attempt after a failure. */
    CONNECTING,
    /** Control stream open and the component said Hello. */
    CONNECTED,
    /** The component was removed; no more dialing. */
    REMOVED
}
