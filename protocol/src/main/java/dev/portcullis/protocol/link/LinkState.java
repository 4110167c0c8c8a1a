package dev.portcullis.protocol.link;

/** Where a component's end of the control link stands. */
public enum LinkState {
    /** Not adopted yet: serving ComponentSetup with a self-signed certificate, waiting for core. */
    SETUP,
    /** Adopted, serving mTLS, no control stream from core at the moment. */
    WAITING_FOR_CORE,
    /** Core holds a control stream open. */
    CONNECTED,
    /** Core removed this component; credentials wiped, server stopped. */
    REVOKED,
    /** close() was called. */
    CLOSED
}
