package dev.portcullis.core.component;

/** Where a component is in its life: registered and waiting to join, joined, or removed (revoked). */
public enum ComponentState {
    PENDING,
    ADOPTED,
    REMOVED
}
