package dev.portcullis.core.identity;

/** Whether a device may start tunnel sessions. */
public enum DeviceState {
    ACTIVE,
    DISABLED
}
