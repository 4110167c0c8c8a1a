package dev.portcullis.core.link;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerVerifier.PeerRejectedException;
import dev.portcullis.pki.tls.PeerPolicy;
import dev.portcullis.pki.tls.PinnedTrustManager;
import dev.portcullis.protocol.v1.CertificateIssued;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.ComponentControlGrpc;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import dev.portcullis.protocol.v1.Revoked;
import dev.portcullis.protocol.v1.RotateCertificate;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Core's link to one component. It is the single owner of that component's channel and
 * control stream: it joins the component if needed, opens the stream, sends the configuration
 * snapshot, then updates; it answers the component's proxy requests, rotates its certificate
 * before expiry and reconnects with jittered backoff when the stream ends.
 * <p>
 * Threading: {@link #attempt} runs on the supervisor's worker pool; stream callbacks on the
 * gRPC executor; admin calls on request threads. Every mutable field below is guarded by {@code lock}.
 * A stream is identified by its generation so callbacks of an old stream cannot disturb a new one.
 */
final class OutboundLink {

    private static final Logger LOG = LoggerFactory.getLogger(OutboundLink.class);
    /** After a join the component restarts its server in mTLS mode on the same port. */
    private static final Duration AFTER_JOIN_DELAY = Duration.ofMillis(100);

    private final String componentId;
    private final ComponentDirectory directory;
    private final CertificateAuthority ca;
    private final CoreIdentity coreIdentity;
    private final PublicRequestHandler publicRequests;
    private final ComponentReports reports;
    private final SupervisorSettings settings;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService workers;
    private final ExecutorService callbacks;
    private final ExecutorService requestWorkers;

    private final Object lock = new Object();
    // guarded by lock
    private final Backoff backoff;
    private LinkPhase phase = LinkPhase.CONNECTING;
    private Instant since;
    private String lastError;
    private ManagedChannel channel;
    private StreamObserver<CoreMessage> outbound;
    private int generation;
    private boolean helloReceived;
    private boolean removed;
    private boolean closed;
    private boolean rotateWhenConnected;
    private ScheduledFuture<?> pendingAttempt;
    private ScheduledFuture<?> rotationTimer;
    private long configVersionAcked;
    private Instant lastTelemetry;
    private X509Certificate currentCertificate;
    private X509Certificate pendingInstall;
    private ComponentRecord record;
    /** Updates waiting for the component to acknowledge a version at least theirs, by that version. */
    private final java.util.NavigableMap<Long, java.util.List<java.util.concurrent.CompletableFuture<Void>>> awaitingAck =
            new java.util.TreeMap<>();

    OutboundLink(String componentId, ComponentDirectory directory, CertificateAuthority ca, CoreIdentity coreIdentity,
                 PublicRequestHandler publicRequests, ComponentReports reports, SupervisorSettings settings,
                 ScheduledExecutorService scheduler,
                 ExecutorService workers, ExecutorService callbacks, ExecutorService requestWorkers) {
        this.componentId = componentId;
        this.directory = directory;
        this.ca = ca;
        this.coreIdentity = coreIdentity;
        this.publicRequests = publicRequests;
        this.reports = reports;
        this.settings = settings;
        this.scheduler = scheduler;
        this.workers = workers;
        this.callbacks = callbacks;
        this.requestWorkers = requestWorkers;
        this.backoff = new Backoff(settings.backoffMin(), settings.backoffMax());
        this.since = settings.clock().instant();
    }

    void start() {
        scheduleAttempt(Duration.ZERO);
    }

    // ---- connecting ----------------------------------------------------------------------

    private void scheduleAttempt(Duration delay) {
        synchronized (lock) {
            if (removed || closed) {
                return;
            }
            if (pendingAttempt != null) {
                pendingAttempt.cancel(false);
            }
            pendingAttempt = scheduler.schedule(() -> runOnWorker(this::attempt), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void runOnWorker(Runnable task) {
        try {
            workers.execute(task);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private void attempt() {
        Optional<ComponentRecord> found = directory.find(componentId);
        if (found.isEmpty()) {
            markRemoved("component is no longer registered");
            return;
        }
        ComponentRecord component = found.get();
        X509Certificate pending;
        synchronized (lock) {
            if (removed || closed) {
                return;
            }
            record = component;
            pending = pendingInstall;
        }
        if (!component.adopted() || pending != null) {
            join(component, pending);
        } else {
            openControl(component);
        }
    }

    private void join(ComponentRecord component, X509Certificate pending) {
        setPhase(LinkPhase.JOINING);
        JoinCeremony ceremony = new JoinCeremony(component, directory, ca, coreIdentity,
                settings.componentCertificateLifetime(), callbacks);
        try {
            X509Certificate certificate = ceremony.run(pending, issued -> {
                synchronized (lock) {
                    pendingInstall = issued;
                }
            });
            synchronized (lock) {
                pendingInstall = null;
                currentCertificate = certificate;
                lastError = null;
            }
            LOG.info("adopted {} '{}' ({}): certificate {} valid until {}", component.role().urnName(),
                    component.name(), componentId, Certificates.serialHex(certificate),
                    certificate.getNotAfter().toInstant());
            scheduleAttempt(AFTER_JOIN_DELAY);
        } catch (JoinCeremony.JoinFailedException e) {
            retryLater("join of '" + component.name() + "' failed: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("unexpected failure while joining {} ({})", component.name(), componentId, e);
            retryLater("join of '" + component.name() + "' failed: internal error");
        }
    }

    private void openControl(ComponentRecord component) {
        setPhase(LinkPhase.CONNECTING);
        PinnedTrustManager trust = PinnedTrustManager.pinning(ca.certificate(),
                PeerPolicy.only(component.identity()).and(this::issuedToThisComponent), settings.clock(),
                reason -> LOG.warn("rejected {} '{}' ({}): {}", component.role().urnName(), component.name(),
                        componentId, reason));
        ManagedChannel dialed = Channels.dial(component.host(), component.port(), coreIdentity.keyManager(), trust,
                callbacks);
        int streamGeneration;
        synchronized (lock) {
            if (removed || closed) {
                Channels.close(dialed);
                return;
            }
            Channels.close(channel);
            channel = dialed;
            streamGeneration = ++generation;
            helloReceived = false;
        }
        StreamObserver<CoreMessage> stream = ComponentControlGrpc.newStub(dialed)
                .control(new Inbound(streamGeneration, component));
        synchronized (lock) {
            if (streamGeneration != generation) {
                stream.onError(io.grpc.Status.CANCELLED.asRuntimeException());
                return;
            }
            outbound = stream;
        }
        send(streamGeneration, CoreMessage.newBuilder().setConfig(directory.configuration(componentId)).build());
    }

    /** Core accepts only the certificate it issued to this component, never a revoked or foreign one. */
    private void issuedToThisComponent(PeerIdentity identity, X509Certificate leaf) throws PeerRejectedException {
        if (!directory.acceptsCertificate(componentId, leaf.getSerialNumber())) {
            throw new PeerRejectedException("certificate " + Certificates.serialHex(leaf)
                    + " is not the one core issued to this component (revoked, replaced or never issued)");
        }
        synchronized (lock) {
            if (currentCertificate == null) {
                currentCertificate = leaf;
            }
        }
    }

    private void retryLater(String reason) {
        Duration delay;
        synchronized (lock) {
            if (removed || closed) {
                return;
            }
            lastError = reason;
            phase = LinkPhase.CONNECTING;
            since = settings.clock().instant();
            delay = backoff.next();
        }
        LOG.warn("{}; retrying in {} ms", reason, delay.toMillis());
        scheduleAttempt(delay);
    }

    private void streamEnded(int streamGeneration, String reason) {
        ManagedChannel toClose;
        synchronized (lock) {
            if (streamGeneration != generation) {
                return;
            }
            failAwaiting("link to the component was lost before it acknowledged");
            outbound = null;
            toClose = channel;
            channel = null;
            if (rotationTimer != null) {
                rotationTimer.cancel(false);
            }
            if (removed || closed) {
                return;
            }
        }
        runOnWorker(() -> Channels.close(toClose));
        retryLater("link to " + describe() + " lost: " + reason);
    }

    // ---- the stream --------------------------------------------------------------------------

    private boolean send(int streamGeneration, CoreMessage message) {
        synchronized (lock) {
            if (streamGeneration != generation || outbound == null) {
                return false;
            }
            try {
                outbound.onNext(message);
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        }
    }

    /** Callbacks of one control stream; the gRPC runtime calls them one at a time. */
    private final class Inbound implements StreamObserver<ComponentMessage> {

        private final int streamGeneration;
        private final ComponentRecord component;

        Inbound(int streamGeneration, ComponentRecord component) {
            this.streamGeneration = streamGeneration;
            this.component = component;
        }

        @Override
        public void onNext(ComponentMessage message) {
            switch (message.getBodyCase()) {
                case HELLO -> onHello(message.getHello());
                case ACK -> onAck(message.getAck());
                case ROTATION_CSR -> onRotationCsr(message.getRotationCsr().getCsrDer());
                case ROTATION_DONE -> LOG.info("{} now presents certificate {}", describe(),
                        message.getRotationDone().getSerialHex());
                case PROXY_REQUEST -> onProxyRequest(message.getProxyRequest());
                case TELEMETRY -> {
                    synchronized (lock) {
                        lastTelemetry = settings.clock().instant();
                    }
                    report(() -> reports.telemetry(componentId, message.getTelemetry()));
                }
                case PONG, BODY_NOT_SET -> {
                }
            }
        }

        private void onHello(dev.portcullis.protocol.v1.Hello hello) {
            if (!componentId.equals(hello.getComponentId())) {
                LOG.warn("{} introduced itself as '{}'; closing", describe(), abbreviate(hello.getComponentId()));
                streamEnded(streamGeneration, "component reported a different id");
                return;
            }
            boolean rotate;
            synchronized (lock) {
                if (streamGeneration != generation) {
                    return;
                }
                helloReceived = true;
                phase = LinkPhase.CONNECTED;
                since = settings.clock().instant();
                lastError = null;
                backoff.reset();
                rotate = rotateWhenConnected;
                rotateWhenConnected = false;
            }
            LOG.info("{} connected (serving configuration version {})", describe(), hello.getConfigVersion());
            report(() -> reports.hello(componentId, hello));
            if (rotate) {
                requestRotation(streamGeneration);
            } else {
                scheduleRotation(streamGeneration);
            }
        }

        private void onAck(dev.portcullis.protocol.v1.ConfigAck ack) {
            if (ack.getResyncNeeded()) {
                send(streamGeneration, CoreMessage.newBuilder().setConfig(directory.configuration(componentId)).build());
                return;
            }
            java.util.List<java.util.concurrent.CompletableFuture<Void>> settled = new java.util.ArrayList<>();
            synchronized (lock) {
                configVersionAcked = Math.max(configVersionAcked, ack.getVersion());
                if (!ack.getError().isEmpty()) {
                    lastError = "component refused configuration: " + abbreviate(ack.getError());
                }
                var upTo = awaitingAck.headMap(ack.getVersion(), true);
                upTo.values().forEach(settled::addAll);
                upTo.clear();
                if (!ack.getError().isEmpty()) {
                    // A refusal names the version the component kept; whatever was newer was refused.
                    awaitingAck.values().forEach(settled::addAll);
                    awaitingAck.clear();
                }
            }
            RefusedUpdateException refusal = ack.getError().isEmpty() ? null
                    : new RefusedUpdateException("component refused the change: " + abbreviate(ack.getError()));
            for (var future : settled) {
                if (refusal == null) {
                    future.complete(null);
                } else {
                    future.completeExceptionally(refusal);
                }
            }
            if (!ack.getError().isEmpty()) {
                LOG.warn("{} refused configuration: {}", describe(), abbreviate(ack.getError()));
            }
        }

        private void onRotationCsr(ByteString csrDer) {
            CertificateRequest request;
            try {
                request = CertificateRequest.parse(csrDer.toByteArray());
            } catch (CertificateRequest.InvalidRequestException e) {
                LOG.warn("{} sent an unusable rotation request: {}", describe(), e.getMessage());
                return;
            }
            X509Certificate issued = ca.issueComponent(request, component.identity(), List.of(component.host()),
                    settings.componentCertificateLifetime());
            directory.certificateIssued(componentId, issued);
            synchronized (lock) {
                currentCertificate = issued;
            }
            send(streamGeneration, CoreMessage.newBuilder().setCertificate(CertificateIssued.newBuilder()
                    .setCertificateDer(ByteString.copyFrom(Certificates.der(issued)))
                    .setCaCertificateDer(ByteString.copyFrom(Certificates.der(ca.certificate())))).build());
            LOG.info("rotated certificate of {}: {} valid until {}", describe(), Certificates.serialHex(issued),
                    issued.getNotAfter().toInstant());
            scheduleRotation(streamGeneration);
        }

        private void onProxyRequest(ProxyRequest request) {
            if (component.role() != PeerIdentity.Role.EDGE_PROXY) {
                LOG.warn("{} sent a proxy request, which only edge proxies may; ignored", describe());
                return;
            }
            try {
                requestWorkers.execute(() -> {
                    ProxyResponse response;
                    try {
                        response = publicRequests.handle(request, component);
                    } catch (RuntimeException e) {
                        LOG.error("public request {} failed", request.getRequestId(), e);
                        response = neutral(503, "service temporarily unavailable");
                    }
                    send(streamGeneration, CoreMessage.newBuilder()
                            .setProxyResponse(response.toBuilder().setRequestId(request.getRequestId())).build());
                });
            } catch (RejectedExecutionException e) {
                send(streamGeneration, CoreMessage.newBuilder().setProxyResponse(
                        neutral(503, "service busy, try again").toBuilder().setRequestId(request.getRequestId())).build());
            }
        }

        @Override
        public void onError(Throwable failure) {
            streamEnded(streamGeneration, RpcFailures.describe(failure));
        }

        @Override
        public void onCompleted() {
            streamEnded(streamGeneration, "component closed the stream");
        }
    }

    private void report(Runnable delivery) {
        try {
            delivery.run();
        } catch (RuntimeException e) {
            LOG.error("recording a report of {} failed", describe(), e);
        }
    }

    static ProxyResponse neutral(int status, String message) {
        return ProxyResponse.newBuilder().setStatus(status)
                .addHeaders(dev.portcullis.protocol.v1.Header.newBuilder().setName("content-type")
                        .setValue("application/json"))
                .setBody(ByteString.copyFrom("{\"error\":\"" + message + "\"}", StandardCharsets.UTF_8))
                .build();
    }

    // ---- rotation ------------------------------------------------------------------------------

    private void scheduleRotation(int streamGeneration) {
        synchronized (lock) {
            if (currentCertificate == null || streamGeneration != generation) {
                return;
            }
            Instant notBefore = currentCertificate.getNotBefore().toInstant();
            Instant notAfter = currentCertificate.getNotAfter().toInstant();
            long lifetime = Duration.between(notBefore, notAfter).toMillis();
            Instant due = notBefore.plusMillis((long) (lifetime * settings.rotateAtFraction()));
            long delay = Math.max(0, Duration.between(settings.clock().instant(), due).toMillis());
            if (rotationTimer != null) {
                rotationTimer.cancel(false);
            }
            rotationTimer = scheduler.schedule(() -> requestRotation(streamGeneration), delay, TimeUnit.MILLISECONDS);
        }
    }

    private void requestRotation(int streamGeneration) {
        send(streamGeneration, CoreMessage.newBuilder().setRotate(RotateCertificate.getDefaultInstance()).build());
    }

    void rotateNow() {
        int streamGeneration;
        synchronized (lock) {
            if (phase != LinkPhase.CONNECTED) {
                rotateWhenConnected = true;
                return;
            }
            streamGeneration = generation;
        }
        requestRotation(streamGeneration);
    }

    // ---- admin-driven changes ------------------------------------------------------------------

    boolean configurationChanged(ConfigUpdate update) {
        int streamGeneration;
        synchronized (lock) {
            if (!helloReceived) {
                return false;
            }
            streamGeneration = generation;
        }
        return send(streamGeneration, CoreMessage.newBuilder().setUpdate(update).build());
    }

    /**
     * Sends an update and returns a future completed once the component acknowledged a
     * configuration version at least the update's (a resync snapshot counts, since it contains
     * the change). Fails at once if the component is not connected, and later if it refuses or
     * the stream ends first.
     */
    java.util.concurrent.CompletableFuture<Void> pushUpdate(ConfigUpdate update) {
        var future = new java.util.concurrent.CompletableFuture<Void>();
        int streamGeneration;
        synchronized (lock) {
            if (!helloReceived || outbound == null) {
                future.completeExceptionally(new RefusedUpdateException("component is not connected"));
                return future;
            }
            if (configVersionAcked >= update.getVersion()) {
                future.complete(null);
                return future;
            }
            awaitingAck.computeIfAbsent(update.getVersion(), v -> new java.util.ArrayList<>()).add(future);
            streamGeneration = generation;
        }
        if (!send(streamGeneration, CoreMessage.newBuilder().setUpdate(update).build())) {
            synchronized (lock) {
                var waiting = awaitingAck.get(update.getVersion());
                if (waiting != null) {
                    waiting.remove(future);
                }
            }
            future.completeExceptionally(new RefusedUpdateException("component is not connected"));
        }
        return future;
    }

    /** Must hold lock. */
    private void failAwaiting(String reason) {
        java.util.List<java.util.concurrent.CompletableFuture<Void>> failed = new java.util.ArrayList<>();
        awaitingAck.values().forEach(failed::addAll);
        awaitingAck.clear();
        RefusedUpdateException failure = new RefusedUpdateException(reason);
        // Completing outside callers' locks is fine: dependants run asynchronously or briefly.
        failed.forEach(f -> f.completeExceptionally(failure));
    }

    /** Tells the component it was removed, closes the stream and stops dialing it. */
    void remove(String reason) {
        StreamObserver<CoreMessage> stream;
        ManagedChannel toClose;
        synchronized (lock) {
            failAwaiting("component was removed");
            removed = true;
            phase = LinkPhase.REMOVED;
            since = settings.clock().instant();
            cancelTimers();
            stream = outbound;
            outbound = null;
            toClose = channel;
            channel = null;
            generation++;
        }
        if (stream != null) {
            try {
                stream.onNext(CoreMessage.newBuilder().setRevoked(Revoked.newBuilder().setReason(reason)).build());
                stream.onCompleted();
            } catch (RuntimeException e) {
                // the component is gone already; its certificate is refused from now on anyway
            }
        }
        if (toClose != null) {
            toClose.shutdown();
            scheduler.schedule(() -> Channels.close(toClose), 2, TimeUnit.SECONDS);
        }
        LOG.info("removed {}: {}", describe(), reason);
    }

    private void markRemoved(String reason) {
        synchronized (lock) {
            if (removed) {
                return;
            }
        }
        remove(reason);
    }

    void close() {
        ManagedChannel toClose;
        StreamObserver<CoreMessage> stream;
        synchronized (lock) {
            failAwaiting("core is shutting down");
            closed = true;
            cancelTimers();
            toClose = channel;
            channel = null;
            stream = outbound;
            outbound = null;
            generation++;
        }
        if (stream != null) {
            try {
                stream.onCompleted();
            } catch (RuntimeException e) {
                // closing anyway
            }
        }
        Channels.close(toClose);
    }

    private void cancelTimers() {
        if (pendingAttempt != null) {
            pendingAttempt.cancel(false);
        }
        if (rotationTimer != null) {
            rotationTimer.cancel(false);
        }
    }

    // ---- status --------------------------------------------------------------------------------

    LinkStatus status() {
        synchronized (lock) {
            return new LinkStatus(componentId, phase, since, Optional.ofNullable(lastError),
                    Optional.ofNullable(currentCertificate).map(c -> c.getNotAfter().toInstant()),
                    configVersionAcked, Optional.ofNullable(lastTelemetry));
        }
    }

    private void setPhase(LinkPhase next) {
        synchronized (lock) {
            if (removed || closed || phase == next) {
                return;
            }
            phase = next;
            since = settings.clock().instant();
        }
    }

    private String describe() {
        ComponentRecord component;
        synchronized (lock) {
            component = record;
        }
        return component == null ? "component " + componentId
                : component.role().urnName() + " '" + component.name() + "' (" + componentId + ")";
    }

    /** Peer-supplied text goes into logs only bounded and printable. */
    private static String abbreviate(String text) {
        String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 200 ? printable.substring(0, 200) + "…" : printable;
    }
}
