package dev.portcullis.edge.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.edge.forward.ForwardingException.Reason;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class ForwarderTest {

    /** Records what is sent; answers only when told to. */
    private static final class RecordingCore implements CoreChannel {
        final List<ProxyRequest> sent = new CopyOnWriteArrayList<>();
        volatile boolean connected = true;

        @Override
        public boolean isConnected() {
            return connected;
        }

        @Override
        public boolean send(ProxyRequest request) {
            if (!connected) {
                return false;
            }
            sent.add(request);
            return true;
        }
    }

    private final RecordingCore core = new RecordingCore();

    @Test
    void answersAreMatchedToTheirRequestsById() throws Exception {
        Forwarder forwarder = new Forwarder(core);
        CompletableFuture<ProxyResponse> first = forwarder.forward(ProxyRequest.newBuilder().setPath("/api/1").build());
        CompletableFuture<ProxyResponse> second = forwarder.forward(ProxyRequest.newBuilder().setPath("/api/2").build());
        long firstId = core.sent.get(0).getRequestId();
        long secondId = core.sent.get(1).getRequestId();
        assertThat(firstId).isNotEqualTo(secondId);

        forwarder.onProxyResponse(ProxyResponse.newBuilder().setRequestId(secondId).setStatus(202).build());
        forwarder.onProxyResponse(ProxyResponse.newBuilder().setRequestId(firstId).setStatus(201).build());

        assertThat(first.get(1, TimeUnit.SECONDS).getStatus()).isEqualTo(201);
        assertThat(second.get(1, TimeUnit.SECONDS).getStatus()).isEqualTo(202);
        assertThat(forwarder.inFlight()).isZero();
    }

    @Test
    void coreNotConnectedFailsAtOnceWithoutSending() {
        core.connected = false;
        Forwarder forwarder = new Forwarder(core);

        assertFails(forwarder.forward(ProxyRequest.getDefaultInstance()), Reason.CORE_UNAVAILABLE);
        assertThat(core.sent).isEmpty();
    }

    @Test
    void noAnswerWithinTheTimeoutFailsAndIsCleanedUp() {
        Forwarder forwarder = new Forwarder(core, Duration.ofMillis(100), 10);

        CompletableFuture<ProxyResponse> answer = forwarder.forward(ProxyRequest.getDefaultInstance());

        assertFails(answer, Reason.CORE_TIMEOUT);
        assertThat(forwarder.inFlight()).isZero();
        // A late answer is dropped without effect.
        forwarder.onProxyResponse(ProxyResponse.newBuilder().setRequestId(core.sent.get(0).getRequestId()).setStatus(200).build());
        assertThat(forwarder.inFlight()).isZero();
    }

    @Test
    void coreGoingAwayFailsEveryWaitingRequestAtOnce() {
        Forwarder forwarder = new Forwarder(core);
        CompletableFuture<ProxyResponse> first = forwarder.forward(ProxyRequest.getDefaultInstance());
        CompletableFuture<ProxyResponse> second = forwarder.forward(ProxyRequest.getDefaultInstance());

        forwarder.coreDisconnected();

        assertFails(first, Reason.CORE_UNAVAILABLE);
        assertFails(second, Reason.CORE_UNAVAILABLE);
        assertThat(forwarder.inFlight()).isZero();
    }

    @Test
    void waitingRequestsAreBoundedAndSlotsAreFreedWhenAnswered() throws Exception {
        Forwarder forwarder = new Forwarder(core, Duration.ofSeconds(10), 2);
        CompletableFuture<ProxyResponse> first = forwarder.forward(ProxyRequest.getDefaultInstance());
        forwarder.forward(ProxyRequest.getDefaultInstance());

        assertFails(forwarder.forward(ProxyRequest.getDefaultInstance()), Reason.SATURATED);
        assertThat(core.sent).hasSize(2);

        forwarder.onProxyResponse(ProxyResponse.newBuilder().setRequestId(core.sent.get(0).getRequestId()).setStatus(200).build());
        first.get(1, TimeUnit.SECONDS);
        CompletableFuture<ProxyResponse> third = forwarder.forward(ProxyRequest.getDefaultInstance());
        assertThat(third).isNotCompletedExceptionally();
        assertThat(core.sent).hasSize(3);
    }

    @Test
    void anAnswerWithAStatusOutside200To599IsRefused() {
        Forwarder forwarder = new Forwarder(core);
        CompletableFuture<ProxyResponse> answer = forwarder.forward(ProxyRequest.getDefaultInstance());

        forwarder.onProxyResponse(ProxyResponse.newBuilder().setRequestId(core.sent.get(0).getRequestId()).setStatus(101).build());

        assertFails(answer, Reason.BAD_ANSWER);
    }

    private static void assertFails(CompletableFuture<ProxyResponse> answer, Reason reason) {
        ThrowingCallable waiting = () -> answer.get(5, TimeUnit.SECONDS);
        assertThatThrownBy(waiting).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ForwardingException.class)
                .satisfies(e -> assertThat(((ForwardingException) e).reason()).isEqualTo(reason));
    }
}
