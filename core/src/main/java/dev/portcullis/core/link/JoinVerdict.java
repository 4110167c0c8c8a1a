package dev.portcullis.core.link;

/** Outcome of presenting a join token. Only ACCEPTED adopts; the others are logged, never shown to the peer. */
public enum JoinVerdict {
    ACCEPTED,
    /** No such token id. */
    UNKNOWN,
    /** The token exists but was minted for another component. */
    WRONG_COMPONENT,
    /** The token was already used (or superseded by a newer one). */
    ALREADY_USED,
    EXPIRED,
    /** The token id exists but the secret does not match. */
    WRONG_SECRET
}
