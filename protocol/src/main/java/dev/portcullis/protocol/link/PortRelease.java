package dev.portcullis.protocol.link;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;

/**
 * Waits until a listening port is really released. Netty completes a server channel's close
 * before the JDK frees the socket when the channel is still registered with a selector that is
 * shutting down; "stopped" must mean "no longer accepting", so callers wait for that.
 */
public final class PortRelease {

    private static final long POLL_MILLIS = 10;

    private PortRelease() {
    }

    /** True once {@code address} can be bound again (the old listener is gone); false if still held after {@code timeout}. */
    public static boolean await(InetSocketAddress address, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(address, 1);
                return true;
            } catch (IOException stillListening) {
                if (System.nanoTime() >= deadline) {
                    return false;
                }
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
