package dev.portcullis.edge.forward;

import dev.portcullis.protocol.link.ComponentLink;
import dev.portcullis.protocol.link.LinkState;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.ProxyRequest;

/**
 * {@link CoreChannel} over the component link. The link is attached after it starts (it needs
 * the handler that needs this channel); until then core counts as not connected.
 */
public final class LinkCoreChannel implements CoreChannel {

    private volatile ComponentLink link;

    public void attach(ComponentLink started) {
        this.link = started;
    }

    @Override
    public boolean isConnected() {
        ComponentLink current = link;
        return current != null && current.state() == LinkState.CONNECTED;
    }

    @Override
    public boolean send(ProxyRequest request) {
        ComponentLink current = link;
        return current != null && current.send(ComponentMessage.newBuilder().setProxyRequest(request).build());
    }
}
