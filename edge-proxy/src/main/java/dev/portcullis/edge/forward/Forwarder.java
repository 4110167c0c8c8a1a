package dev.portcullis.edge.forward;

import dev.portcullis.edge.forward.ForwardingException.Reason;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries public requests to core and core's answers back. Each request gets an id unique for
 * this process; the answer is matched by that id. Waiting requests are bounded in number and in
 * time, and all fail at once when core goes away. The forwarder never looks at what it carries.
 */
public final class Forwarder {

    /** Core answers in milliseconds; after ten seconds it is overloaded or gone, and the user deserves an answer. */
    public static final Duration CORE_ANSWER_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Far above what one proxy sees while core is healthy (answers take milliseconds), and small
     * enough that the bodies of waiting requests (at most 64 KiB each, so 32 MiB) fit the proxy's
     * small heap when core stalls. Beyond it new requests get 503 at once instead of queueing.
     */
    public static final int MAX_IN_FLIGHT = 512;

    /** At most one "too many waiting" line per interval, however many requests are refused. */
    private static final Duration SATURATION_WARNING_INTERVAL = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);

    private final CoreChannel core;
    private final Duration answerTimeout;
    private final int maxInFlight;
    /** Waiting requests by request id; an entry leaves when its future completes, however it completes. */
    private final Map<Long, CompletableFuture<ProxyResponse>> waiting = new ConcurrentHashMap<>();
    /** Reserved slots; may briefly exceed {@code waiting.size()} while a request is being registered. */
    private final AtomicInteger reserved = new AtomicInteger();
    private final AtomicLong nextId = new AtomicLong();
    /** When the last "saturated" warning was logged (System.nanoTime), so a flood does not flood the log too. */
    private final AtomicLong lastSaturationWarning = new AtomicLong(System.nanoTime() - SATURATION_WARNING_INTERVAL.toNanos());

    public Forwarder(CoreChannel core) {
        this(core, CORE_ANSWER_TIMEOUT, MAX_IN_FLIGHT);
    }

    public Forwarder(CoreChannel core, Duration answerTimeout, int maxInFlight) {
        this.core = Objects.requireNonNull(core, "core");
        this.answerTimeout = Objects.requireNonNull(answerTimeout, "answerTimeout");
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be positive");
        }
        this.maxInFlight = maxInFlight;
    }

    /** Whether core can be asked at all right now. */
    public boolean coreConnected() {
        return core.isConnected();
    }

    /**
     * Sends the request (its request_id is assigned here) and completes with core's answer, or
     * exceptionally with a {@link ForwardingException}.
     */
    public CompletableFuture<ProxyResponse> forward(ProxyRequest request) {
        if (!core.isConnected()) {
            return CompletableFuture.failedFuture(new ForwardingException(Reason.CORE_UNAVAILABLE));
        }
        if (!reserveSlot()) {
            warnSaturated();
            return CompletableFuture.failedFuture(new ForwardingException(Reason.SATURATED));
        }
        long id = nextId.incrementAndGet();
        CompletableFuture<ProxyResponse> answer = new CompletableFuture<>();
        waiting.put(id, answer);
        // The caller sees the outcome only after the entry and its slot are released.
        CompletableFuture<ProxyResponse> released = answer.whenComplete((response, failure) -> {
            waiting.remove(id);
            reserved.decrementAndGet();
        });
        answer.orTimeout(answerTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!core.send(request.toBuilder().setRequestId(id).build())) {
            answer.completeExceptionally(new ForwardingException(Reason.CORE_UNAVAILABLE));
        }
        return released.handle(Forwarder::check);
    }

    /** Core answered. Answers to unknown ids (timed out, or from before a reconnect) are dropped. */
    public void onProxyResponse(ProxyResponse response) {
        CompletableFuture<ProxyResponse> answer = waiting.get(response.getRequestId());
        if (answer == null) {
            LOG.debug("answer for request {} arrived after it was given up", response.getRequestId());
            return;
        }
        answer.complete(response);
    }

    /** Core's stream ended: nobody will answer the waiting requests, so fail them now rather than at the timeout. */
    public void coreDisconnected() {
        for (CompletableFuture<ProxyResponse> answer : waiting.values()) {
            answer.completeExceptionally(new ForwardingException(Reason.CORE_UNAVAILABLE));
        }
    }

    /** Number of requests waiting for core. */
    public int inFlight() {
        return waiting.size();
    }

    private void warnSaturated() {
        long now = System.nanoTime();
        long last = lastSaturationWarning.get();
        if (now - last >= SATURATION_WARNING_INTERVAL.toNanos() && lastSaturationWarning.compareAndSet(last, now)) {
            LOG.warn("{} requests are already waiting for core; answering 503 to new ones", maxInFlight);
        }
    }

    private boolean reserveSlot() {
        while (true) {
            int now = reserved.get();
            if (now >= maxInFlight) {
                return false;
            }
            if (reserved.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    private static ProxyResponse check(ProxyResponse response, Throwable failure) {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof ForwardingException forwarding) {
                throw new CompletionException(forwarding);
            }
            if (cause instanceof TimeoutException) {
                throw new CompletionException(new ForwardingException(Reason.CORE_TIMEOUT));
            }
            throw new CompletionException(cause);
        }
        if (response.getStatus() < 200 || response.getStatus() > 599) {
            LOG.warn("core answered request {} with status {}; answering 502", response.getRequestId(), response.getStatus());
            throw new CompletionException(new ForwardingException(Reason.BAD_ANSWER));
        }
        return response;
    }
}
