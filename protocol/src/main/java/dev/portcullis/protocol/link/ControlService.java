package dev.portcullis.protocol.link;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.tls.KeyMaterial;
import dev.portcullis.pki.tls.ReloadableKeyManager;
import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.link.IssuedCertificate.RefusedCertificateException;
import dev.portcullis.protocol.v1.CertificateIssued;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ComponentControlGrpc;
import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.ConfigAck;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.CoreMessage;
import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.Pong;
import dev.portcullis.protocol.v1.RotationCsr;
import dev.portcullis.protocol.v1.RotationDone;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ComponentControl}, served once the component is adopted. One control stream at a time:
 * a new stream from core replaces the old one. All inbound messages are handled on the link's
 * single call thread, so the handler sees them one at a time, in order.
 */
final class ControlService extends ComponentControlGrpc.ComponentControlImplBase {

    private static final Logger log = LoggerFactory.getLogger(ControlService.class);

    /** The link's part when core revokes this component. */
    interface Revocation {
        /** The credentials are wiped: from now on the link is REVOKED. */
        void revoked();

        /** The stream has ended: stop listening and cut every connection. */
        void stopServing();
    }

    private final LinkSettings settings;
    private final ComponentHandler handler;
    private final ReloadableKeyManager keyManager;
    private final X509Certificate ca;
    private final PeerIdentity identity;
    private final String componentId;
    private final Revocation revocation;

    private final Object lock = new Object();
    /** Guarded by lock. The stream core holds open now; null while core is away. */
    private ControlStream current;
    /** Guarded by lock. Version of the configuration last applied; 0 before the first one. */
    private long configVersion;
    /** Guarded by lock. The key generated for a rotation core asked for and has not yet certified. */
    private KeyPair pendingRotation;
    /** Guarded by lock. Set when revoked or closed: no stream is accepted any more. */
    private boolean stopped;

    ControlService(LinkSettings settings, ComponentHandler handler, ReloadableKeyManager keyManager,
                   X509Certificate ca, PeerIdentity identity, String componentId, Revocation revocation) {
        this.settings = settings;
        this.handler = handler;
        this.keyManager = keyManager;
        this.ca = ca;
        this.identity = identity;
        this.componentId = componentId;
        this.revocation = revocation;
    }

    boolean connected() {
        synchronized (lock) {
            return current != null;
        }
    }

    long configVersion() {
        synchronized (lock) {
            return configVersion;
        }
    }

    /** Sends on the current stream; false if there is none. Any thread. */
    boolean send(ComponentMessage message) {
        ControlStream stream;
        synchronized (lock) {
            stream = current;
        }
        return stream != null && stream.send(message);
    }

    /** The link is closing: end the stream and accept no other. */
    void stop(Status status) {
        ControlStream stream;
        synchronized (lock) {
            stopped = true;
            stream = current;
            current = null;
        }
        if (stream != null) {
            stream.fail(status);
        }
    }

    @Override
    public StreamObserver<CoreMessage> control(StreamObserver<ComponentMessage> responseObserver) {
        ControlStream stream = new ControlStream((ServerCallStreamObserver<ComponentMessage>) responseObserver);
        ((ServerCallStreamObserver<ComponentMessage>) responseObserver)
                .setOnCancelHandler(() -> ended(stream, "core cancelled it"));
        ControlStream previous;
        long version;
        synchronized (lock) {
            if (stopped) {
                stream.fail(Status.UNAVAILABLE.withDescription("this component is no longer serving"));
                return new Inbound(stream);
            }
            previous = current;
            current = stream;
            version = configVersion;
        }
        if (previous != null) {
            previous.fail(Status.ABORTED.withDescription("replaced by a newer control stream from core"));
            log.info("core opened a new control stream; the previous one is closed");
        } else {
            log.info("core connected (serving configuration version {})", version);
        }
        Hello.Builder hello = Hello.newBuilder()
                .setKind(ComponentLink.kind(settings.role()))
                .setComponentId(componentId)
                .setConfigVersion(version)
                .setSoftwareVersion(settings.softwareVersion());
        callHandler("describe", () -> handler.describe(hello));
        hello.setKind(ComponentLink.kind(settings.role())).setComponentId(componentId).setConfigVersion(version);
        stream.send(ComponentMessage.newBuilder().setHello(hello).build());
        callHandler("onCoreConnected", handler::onCoreConnected);
        return new Inbound(stream);
    }

    /** The inbound half of one stream. Messages on a stream that has been replaced are dropped. */
    private final class Inbound implements StreamObserver<CoreMessage> {
        private final ControlStream stream;

        Inbound(ControlStream stream) {
            this.stream = stream;
        }

        @Override
        public void onNext(CoreMessage message) {
            if (isCurrent(stream)) {
                dispatch(stream, message);
            }
        }

        @Override
        public void onError(Throwable t) {
            ended(stream, Status.fromThrowable(t).getCode().toString());
        }

        @Override
        public void onCompleted() {
            stream.complete();
            ended(stream, "core closed it");
        }
    }

    private boolean isCurrent(ControlStream stream) {
        synchronized (lock) {
            return current == stream;
        }
    }

    private void ended(ControlStream stream, String why) {
        long version;
        synchronized (lock) {
            if (current != stream) {
                return;
            }
            current = null;
            version = configVersion;
        }
        stream.markEnded();
        log.info("control stream ended ({}); waiting for core, still serving configuration version {}", why, version);
        callHandler("onCoreDisconnected", handler::onCoreDisconnected);
    }

    private void dispatch(ControlStream stream, CoreMessage message) {
        switch (message.getBodyCase()) {
            case CONFIG -> applyConfig(stream, message.getConfig());
            case UPDATE -> applyUpdate(stream, message.getUpdate());
            case ROTATE -> startRotation(stream);
            case CERTIFICATE -> finishRotation(stream, message.getCertificate());
            case PROXY_RESPONSE -> callHandler("onProxyResponse", () -> handler.onProxyResponse(message.getProxyResponse()));
            case REVOKED -> revoke(stream, message.getRevoked().getReason());
            case PING -> stream.send(ComponentMessage.newBuilder()
                    .setPong(Pong.newBuilder().setNonce(message.getPing().getNonce())).build());
            case BODY_NOT_SET -> log.debug("ignoring a message from core that this version does not know");
        }
    }

    // --- configuration ---------------------------------------------------------------------

    private void applyConfig(ControlStream stream, ComponentConfig config) {
        String refusal = kindMismatch(config.getKindCase() == ComponentConfig.KindCase.EDGE_PROXY,
                config.getKindCase() == ComponentConfig.KindCase.GATEWAY);
        if (refusal == null) {
            refusal = apply(() -> handler.applyConfig(config));
        }
        finishApply(stream, config.getVersion(), refusal);
    }

    private void applyUpdate(ControlStream stream, ConfigUpdate update) {
        long current = configVersion();
        if (update.getBaseVersion() != current) {
            log.info("configuration update {} is based on version {} but this component has {}; asking core to resync",
                    update.getVersion(), update.getBaseVersion(), current);
            stream.send(ack(ConfigAck.newBuilder().setVersion(current).setResyncNeeded(true)));
            return;
        }
        String refusal = kindMismatch(update.getChangeCase() == ConfigUpdate.ChangeCase.EDGE_PROXY,
                switch (update.getChangeCase()) {
                    case GATEWAY, ADMIT, EVICT, ACL -> true;
                    default -> false;
                });
        if (refusal == null) {
            refusal = apply(() -> handler.applyUpdate(update));
        }
        finishApply(stream, update.getVersion(), refusal);
    }

    private void finishApply(ControlStream stream, long version, String refusal) {
        if (refusal != null) {
            long kept = configVersion();
            log.warn("refused configuration version {} from core: {} (still serving version {})", version, refusal, kept);
            stream.send(ack(ConfigAck.newBuilder().setVersion(kept).setError(refusal)));
            return;
        }
        synchronized (lock) {
            configVersion = version;
        }
        log.info("applied configuration version {}", version);
        stream.send(ack(ConfigAck.newBuilder().setVersion(version)));
    }

    /** Settings for the other kind of component are refused here, so handlers never see them. */
    private String kindMismatch(boolean forEdgeProxy, boolean forGateway) {
        PeerIdentity.Role role = settings.role();
        if ((forEdgeProxy && role != PeerIdentity.Role.EDGE_PROXY) || (forGateway && role != PeerIdentity.Role.GATEWAY)) {
            return "settings are for " + (forEdgeProxy ? "an edge-proxy" : "a gateway") + ", this component is a "
                    + role.urnName();
        }
        return null;
    }

    /** Runs a handler's apply step; returns the reason it refused, or null if it applied. */
    private String apply(ApplyStep step) {
        try {
            step.run();
            return null;
        } catch (ConfigRejectedException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            log.error("the component failed while applying configuration", e);
            return "the component failed to apply the configuration";
        }
    }

    @FunctionalInterface
    private interface ApplyStep {
        void run() throws ConfigRejectedException;
    }

    private static ComponentMessage ack(ConfigAck.Builder ack) {
        return ComponentMessage.newBuilder().setAck(ack).build();
    }

    // --- certificate rotation ----------------------------------------------------------------

    /** Step 1: a new key pair on this host and a CSR for it. The current certificate stays in use. */
    private void startRotation(ControlStream stream) {
        KeyPair next = KeyPairs.generate();
        CertificateRequest request = CertificateRequest.create(next, identity.uri());
        synchronized (lock) {
            pendingRotation = next;
        }
        log.info("core asked for a certificate rotation; sent a certificate request for a new key");
        stream.send(ComponentMessage.newBuilder()
                .setRotationCsr(RotationCsr.newBuilder().setCsrDer(ByteString.copyFrom(request.der()))).build());
    }

    /**
     * Step 2: check the issued certificate like at adoption (pinned CA, server use, our pending
     * key, our identity), store it, and present it on new connections. Established connections,
     * including the one carrying this stream, keep the TLS session they have.
     */
    private void finishRotation(ControlStream stream, CertificateIssued issued) {
        KeyPair pending;
        synchronized (lock) {
            pending = pendingRotation;
        }
        X509Certificate presented = keyManager.current().leaf();
        if (pending == null) {
            log.warn("ignored a certificate from core: no rotation is pending (still presenting {})",
                    Certificates.serialHex(presented));
            return;
        }
        KeyMaterial next;
        try {
            next = IssuedCertificate.verify(issued.getCertificateDer().toByteArray(),
                    issued.getCaCertificateDer().toByteArray(), CaFingerprint.of(ca), pending, identity, settings.clock());
        } catch (RefusedCertificateException e) {
            log.warn("refused the rotated certificate from core: {} (still presenting {})", e.getMessage(),
                    Certificates.serialHex(presented));
            return;
        }
        try {
            settings.store().save(next, ca);
        } catch (UncheckedIOException e) {
            log.error("could not store the rotated certificate in {}: {} (still presenting {})",
                    settings.store().directory(), e.getMessage(), Certificates.serialHex(presented));
            return;
        }
        keyManager.replace(next);
        synchronized (lock) {
            if (pendingRotation == pending) {
                pendingRotation = null;
            }
        }
        String serial = Certificates.serialHex(next.leaf());
        log.info("certificate rotated: now presenting {} (valid until {})", serial, next.leaf().getNotAfter().toInstant());
        stream.send(ComponentMessage.newBuilder().setRotationDone(RotationDone.newBuilder().setSerialHex(serial)).build());
    }

    // --- revocation --------------------------------------------------------------------------

    private void revoke(ControlStream stream, String reason) {
        synchronized (lock) {
            stopped = true;
            pendingRotation = null;
        }
        try {
            settings.store().wipe();
        } catch (UncheckedIOException e) {
            log.error("core revoked this component but its credentials in {} could not all be removed: {}",
                    settings.store().directory(), e.getMessage());
        }
        log.warn("core revoked this component ({}): credentials wiped, no longer serving",
                ComponentLink.printable(reason));
        revocation.revoked();
        callHandler("onRevoked", () -> handler.onRevoked(reason));
        synchronized (lock) {
            if (current == stream) {
                current = null;
            }
        }
        stream.complete();
        revocation.stopServing();
    }

    private void callHandler(String what, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.error("component handler failed in {}", what, e);
        }
    }
}
