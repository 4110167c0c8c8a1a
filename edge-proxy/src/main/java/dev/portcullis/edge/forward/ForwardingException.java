package dev.portcullis.edge.forward;

/** Why a public request got no answer from core. Carries no detail a user could learn from. */
public final class ForwardingException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The ways forwarding fails; each maps to one neutral HTTP answer. */
    public enum Reason {
        /** Core holds no control stream, or it closed while the request was waiting. */
        CORE_UNAVAILABLE,
        /** Core did not answer within {@link Forwarder#CORE_ANSWER_TIMEOUT}. */
        CORE_TIMEOUT,
        /** {@link Forwarder#MAX_IN_FLIGHT} requests are already waiting for core. */
        SATURATED,
        /** Core's answer cannot be relayed (e.g. a status outside 200..599). */
        BAD_ANSWER
    }

    private final Reason reason;

    public ForwardingException(Reason reason) {
        super(reason.name(), null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
