package dev.portcullis.edge.forward;

import dev.portcullis.protocol.v1.ProxyRequest;

/**
 * The one seam between the public side and the control stream core opened to this proxy.
 * The real one is {@link LinkCoreChannel}; tests put a fake core behind it.
 */
public interface CoreChannel {

    /** Whether core holds the control stream open right now. */
    boolean isConnected();

    /** Puts the request on the control stream; false (nothing sent) if core is not connected. */
    boolean send(ProxyRequest request);
}
