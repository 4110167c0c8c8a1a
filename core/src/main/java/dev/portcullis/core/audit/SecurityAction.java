package dev.portcullis.core.audit;

/** What happened, as the audit log names it. One constant per kind of security event. */
public enum SecurityAction {
    USER_CREATED("user.created"),
    USER_DISABLED("user.disabled"),
    USER_ENABLED("user.enabled"),
    USER_DELETED("user.deleted"),
    GROUP_CREATED("group.created"),
    GROUP_DELETED("group.deleted"),
    GROUP_MEMBER_ADDED("group.member.added"),
    GROUP_MEMBER_REMOVED("group.member.removed"),
    LOCATION_CREATED("location.created"),
    INVITE_ISSUED("invite.issued"),
    INVITE_REDEEMED("invite.redeemed"),
    INVITE_REFUSED("invite.refused"),
    INVITE_REVOKED("invite.revoked"),
    ENROLLMENT_STEP_DONE("enrollment.step.done"),
    ENROLLMENT_STEP_FAILED("enrollment.step.failed"),
    ENROLLMENT_COMPLETED("enrollment.completed"),
    DEVICE_REGISTERED("device.registered"),
    DEVICE_RENAMED("device.renamed"),
    DEVICE_DISABLED("device.disabled"),
    DEVICE_ENABLED("device.enabled"),
    DEVICE_REMOVED("device.removed"),
    PASSWORD_RESET_REQUESTED("password.reset.requested"),
    PASSWORD_RESET_REDEEMED("password.reset.redeemed"),
    PASSWORD_RESET_REFUSED("password.reset.refused"),
    PASSWORD_RESET_DONE("password.reset.done"),
    PASSWORD_RESET_FAILED("password.reset.failed"),
    TUNNEL_MFA_STARTED("tunnel.mfa.started"),
    TUNNEL_MFA_SUCCEEDED("tunnel.mfa.succeeded"),
    TUNNEL_MFA_FAILED("tunnel.mfa.failed"),
    TUNNEL_MFA_THROTTLED("tunnel.mfa.throttled"),
    TUNNEL_MFA_LOCKED("tunnel.mfa.locked"),
    TUNNEL_MFA_UNLOCKED("tunnel.mfa.unlocked"),
    TUNNEL_SESSION_ADMITTED("tunnel.session.admitted"),
    TUNNEL_SESSION_NOT_ADMITTED("tunnel.session.not_admitted"),
    TUNNEL_SESSION_EVICTED("tunnel.session.evicted"),
    TUNNEL_SESSION_EXPIRED("tunnel.session.expired"),
    LOCATION_POLICY_CHANGED("location.policy.changed"),
    /** A new ACL revision was stored for a location (policy apply). */
    LOCATION_ACL_CHANGED("location.acl.changed"),
    /** An admin admitted a peer to a location directly (not an MFA tunnel session). */
    PEER_ADMITTED("peer.admitted"),
    /** An admin evicted a peer from a location directly (tunnel sessions are {@code tunnel.session.evicted}). */
    PEER_EVICTED("peer.evicted"),
    COMPONENT_REGISTERED("component.registered"),
    COMPONENT_JOIN_TOKEN_REISSUED("component.join_token.reissued"),
    COMPONENT_REMOVED("component.removed"),
    COMPONENT_SETTINGS_CHANGED("component.settings.changed"),
    COMPONENT_JOIN_ACCEPTED("component.join.accepted"),
    COMPONENT_JOIN_REFUSED("component.join.refused"),
    COMPONENT_CERTIFICATE_ISSUED("component.certificate.issued"),
    ADMIN_TOKEN_CREATED("admin_token.created");

    private final String text;

    SecurityAction(String text) {
        this.text = text;
    }

    /** The dotted name in log lines, e.g. {@code invite.redeemed}. */
    public String text() {
        return text;
    }
}
