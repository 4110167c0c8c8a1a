package dev.portcullis.core.identity;

import java.util.Locale;
import java.util.Optional;

/** How a device uses its tunnel. */
public enum DeviceKind {
    /** Runs portcullis-agent: holds a device credential (P-256) generated on the device and starts tunnel sessions with it. */
    AGENT,
    /** A standard WireGuard client with a wg-quick file generated in the browser. */
    CONFIG;

    /** Lower-case, as the public API and the admin API write it. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<DeviceKind> parse(String text) {
        for (DeviceKind kind : values()) {
            if (kind.text().equals(text)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }
}
