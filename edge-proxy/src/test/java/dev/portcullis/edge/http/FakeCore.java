package dev.portcullis.edge.http;

import dev.portcullis.edge.forward.CoreChannel;
import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Stands in for core behind the control stream: records what the proxy sends and answers from
 * another thread, as the real link would. Or stays silent, or is away.
 */
public final class FakeCore implements CoreChannel, AutoCloseable {

    private final List<ProxyRequest> received = new CopyOnWriteArrayList<>();
    private final ExecutorService answering = Executors.newSingleThreadExecutor();
    private volatile boolean connected = true;
    private volatile Function<ProxyRequest, ProxyResponse> answer;
    private volatile Forwarder forwarder;

    public void attach(Forwarder target) {
        this.forwarder = target;
    }

    /** Core answers each request with this (request_id is copied in). */
    public void answerWith(Function<ProxyRequest, ProxyResponse> responder) {
        this.answer = responder;
    }

    /** Core receives requests but never answers. */
    public void staysSilent() {
        this.answer = null;
    }

    public void setConnected(boolean now) {
        this.connected = now;
    }

    public List<ProxyRequest> received() {
        return received;
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public boolean send(ProxyRequest request) {
        if (!connected) {
            return false;
        }
        received.add(request);
        Function<ProxyRequest, ProxyResponse> responder = answer;
        if (responder != null) {
            answering.execute(() -> forwarder.onProxyResponse(
                    responder.apply(request).toBuilder().setRequestId(request.getRequestId()).build()));
        }
        return true;
    }

    @Override
    public void close() {
        answering.shutdownNow();
    }
}
