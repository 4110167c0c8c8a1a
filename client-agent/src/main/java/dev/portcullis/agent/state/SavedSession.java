package dev.portcullis.agent.state;

import dev.portcullis.agent.api.TunnelApi.Session;

/**
 * {@code sessions/<location>.json}: a tunnel session this device holds, as finish returned it
 * (with its preshared key, so the file is owner-only), and where it is configured.
 * {@code toString} never shows the key.
 *
 * @param format        version of this file's shape
 * @param location      the location's name (also the file's name)
 * @param interfaceName the local WireGuard interface
 * @param namespace     the network namespace the interface lives in ({@code ip netns}), or null for this one
 * @param session       the session, with {@code presharedKey}
 * @param savedAt       ISO-8601 instant
 */
public record SavedSession(int format, String location, String interfaceName, String namespace, Session session,
                           String savedAt) {

    public static final int FORMAT = 1;

    @Override
    public String toString() {
        return "SavedSession[" + location + " on " + interfaceName + ", " + session + "]";
    }
}
