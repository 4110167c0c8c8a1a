package dev.portcullis.protocol.link;

import dev.portcullis.protocol.v1.ComponentMessage;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * The sending half of one control stream core opened. A gRPC {@code StreamObserver} is not
 * thread-safe, and the component sends from its own threads (proxy requests, telemetry) as well as
 * from the call thread (acks, pongs), so every write goes through {@link #writeLock}.
 */
final class ControlStream {

    private final ServerCallStreamObserver<ComponentMessage> out;
    private final Object writeLock = new Object();
    /** Guarded by writeLock. Set once the stream is finished either way; nothing is written after. */
    private boolean ended;

    ControlStream(ServerCallStreamObserver<ComponentMessage> out) {
        this.out = out;
    }

    /** Returns false, sending nothing, once the stream has ended. */
    boolean send(ComponentMessage message) {
        synchronized (writeLock) {
            if (ended) {
                return false;
            }
            try {
                out.onNext(message);
                return true;
            } catch (RuntimeException e) {
                // The call was closed under us (cancelled by core, or the connection dropped).
                ended = true;
                return false;
            }
        }
    }

    /** Ends the stream normally. */
    void complete() {
        synchronized (writeLock) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                out.onCompleted();
            } catch (RuntimeException e) {
                // Already closed by the peer; nothing left to tell it.
            }
        }
    }

    /** Ends the stream with a status core will see. */
    void fail(Status status) {
        synchronized (writeLock) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                out.onError(status.asRuntimeException());
            } catch (RuntimeException e) {
                // Already closed by the peer; nothing left to tell it.
            }
        }
    }

    /** Records that the peer ended the stream; later sends return false. */
    void markEnded() {
        synchronized (writeLock) {
            ended = true;
        }
    }
}
