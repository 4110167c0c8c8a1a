package dev.portcullis.protocol.link;

import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerVerifier;
import dev.portcullis.pki.cert.PeerVerifier.PeerRejectedException;
import dev.portcullis.pki.cert.SetupCertificate;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore.StoredCredentials;
import dev.portcullis.pki.tls.KeyMaterial;
import dev.portcullis.pki.tls.PeerPolicy;
import dev.portcullis.pki.tls.PinnedTrustManager;
import dev.portcullis.pki.tls.ReloadableKeyManager;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.ComponentMessage;
import io.grpc.Server;
import io.grpc.Status;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The component end of the control link: a gRPC server that only core may use.
 * <ul>
 *   <li>Not adopted: serves {@code ComponentSetup} over TLS with a self-signed certificate for a
 *       freshly generated key, and accepts only a client certificate chaining to the CA pinned by
 *       the join token, with core's identity. Join returns the CSR and the token; Complete installs
 *       the signed certificate, stores it and switches the same port to mTLS.</li>
 *   <li>Adopted: serves {@code ComponentControl} over mTLS (only core's client certificate under
 *       the stored CA). One control stream at a time; a new one from core replaces the old.
 *       Handles rotation (new key, CSR, install, without dropping the stream) and revocation.</li>
 * </ul>
 * Thread-safe. Calls from core run on one thread of the link's own; {@link #send} may be called
 * from any thread.
 */
public final class ComponentLink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ComponentLink.class);
    /** Longest peer-supplied text (revocation reasons, ids) copied into a log line. */
    private static final int MAX_LOGGED_TEXT = 200;

    /** Where the link stands; {@link LinkState} refines ADOPTED into connected or waiting. */
    private enum Phase { SETUP, ADOPTED, REVOKED, CLOSED }

    private final LinkSettings settings;
    private final ComponentHandler handler;
    private final LinkServer transport;

    private final Object lock = new Object();
    /** Guarded by lock. */
    private Phase phase = Phase.SETUP;
    /** Guarded by lock. The server listening now; null once stopped. */
    private Server server;
    /** Guarded by lock. The bound port; fixed by the first bind, kept across the switch to mTLS. */
    private int port;
    /** Guarded by lock. From the join token in setup mode, from the certificate once adopted. */
    private String componentId;
    /** Guarded by lock. Null in setup mode. */
    private ReloadableKeyManager keyManager;
    /** Guarded by lock. Null in setup mode. Lock order: this link's lock, then the service's. */
    private ControlService control;

    private ComponentLink(LinkSettings settings, ComponentHandler handler) {
        this.settings = settings;
        this.handler = handler;
        this.transport = new LinkServer();
    }

    /** Starts serving. Fails with a clear message if not adopted and no join token was given. */
    public static ComponentLink start(LinkSettings settings, ComponentHandler handler) throws IOException {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(handler, "handler");
        Optional<StoredCredentials> stored;
        try {
            stored = settings.store().load();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (stored.isEmpty() && settings.joinToken().isEmpty()) {
            throw new IOException("this " + settings.role().urnName() + " has not been adopted: start it with the join "
                    + "token from 'portcullis-admin component add'");
        }
        ComponentLink link = new ComponentLink(settings, handler);
        try {
            if (stored.isPresent()) {
                link.startAdopted(stored.get());
            } else {
                link.startSetup(settings.joinToken().get());
            }
        } catch (IOException | RuntimeException e) {
            link.close();
            throw e;
        }
        return link;
    }

    // --- setup mode --------------------------------------------------------------------------

    private void startSetup(JoinToken token) throws IOException {
        try {
            PeerIdentity.component(settings.role(), token.componentId());
        } catch (IllegalArgumentException e) {
            throw new IOException("the join token names '" + printable(token.componentId())
                    + "', which is not a component id; copy the token again from 'portcullis-admin component add'");
        }
        KeyPair keyPair = KeyPairs.generate();
        X509Certificate selfSigned = SetupCertificate.create(keyPair,
                "portcullis " + settings.role().urnName() + " awaiting adoption", settings.clock());
        PinnedTrustManager trust = PinnedTrustManager.pinningFingerprint(token.caFingerprint(),
                PeerPolicy.only(PeerIdentity.core()), settings.clock(),
                reason -> log.warn("rejected core connection in setup mode: {}", reason));
        SetupService setup = new SetupService(settings.role(), token, keyPair, settings.store(), settings.clock(),
                this::adoptedInSetup);
        synchronized (lock) {
            componentId = token.componentId();
            phase = Phase.SETUP;
            server = transport.bind(settings.listen(), LinkServer.setupTls(keyPair, selfSigned, trust),
                    LinkServer.MAX_SETUP_MESSAGE_BYTES, "setup mode", setup);
            port = server.getPort();
        }
        log.info("{} {} is not adopted yet: waiting on port {} for core to join it (join token {}, pinned CA {})",
                settings.role().urnName(), token.componentId(), port, token.tokenId(), token.caFingerprint());
    }

    /** Called once Complete has answered: the same port now serves mTLS. Runs on its own thread. */
    private void adoptedInSetup(KeyMaterial material) {
        Thread switcher = new Thread(() -> switchToAdopted(material), "portcullis-link-adopt");
        switcher.setDaemon(true);
        switcher.start();
    }

    private void switchToAdopted(KeyMaterial material) {
        Server setupServer;
        int boundPort;
        synchronized (lock) {
            if (phase != Phase.SETUP) {
                return;
            }
            setupServer = server;
            boundPort = port;
        }
        LinkServer.stop(setupServer, LinkServer.STOP_GRACE);
        try {
            Adopted adopted = prepareAdopted(new StoredCredentials(material, material.chain()[1]));
            Server mtls = transport.rebind(new InetSocketAddress(settings.listen().getHostString(), boundPort),
                    adopted.tls, LinkServer.MAX_CONTROL_MESSAGE_BYTES, "adopted", adopted.control);
            synchronized (lock) {
                if (phase != Phase.SETUP) {
                    mtls.shutdownNow();
                    return;
                }
                enterAdopted(mtls, adopted);
            }
            log.info("serving core over mutual TLS on port {} as {}", boundPort, adopted.identity);
        } catch (IOException | RuntimeException e) {
            boolean closing;
            synchronized (lock) {
                closing = phase != Phase.SETUP;
                server = null;
            }
            if (!closing) {
                log.error("adopted, but could not listen on port {} again ({}); restart this {}: its credentials are "
                        + "stored", boundPort, e.getMessage(), settings.role().urnName());
                close();
            }
        }
    }

    // --- adopted mode ------------------------------------------------------------------------

    private void startAdopted(StoredCredentials stored) throws IOException {
        Adopted adopted = prepareAdopted(stored);
        settings.joinToken().ifPresent(token -> log.info(
                "already adopted as {}; the join token {} is not needed and is ignored", adopted.identity, token.tokenId()));
        synchronized (lock) {
            enterAdopted(transport.bind(settings.listen(), adopted.tls, LinkServer.MAX_CONTROL_MESSAGE_BYTES, "adopted",
                    adopted.control), adopted);
            port = server.getPort();
        }
        log.info("{} adopted as {}: serving core over mutual TLS on port {} with certificate {}",
                settings.role().urnName(), adopted.identity, port,
                Certificates.serialHex(stored.keyMaterial().leaf()));
    }

    /** Everything the mTLS server needs, built from stored (or just installed) credentials. */
    private record Adopted(PeerIdentity identity, String componentId, ReloadableKeyManager keyManager,
                           ControlService control, SslContext tls) {
    }

    private Adopted prepareAdopted(StoredCredentials stored) throws IOException {
        X509Certificate leaf = stored.keyMaterial().leaf();
        X509Certificate ca = stored.ca();
        PeerIdentity identity = storedIdentity(leaf);
        String id = identity.uri().substring(identity.uri().lastIndexOf(':') + 1);
        checkStoredCertificate(leaf, ca);
        ReloadableKeyManager keys = new ReloadableKeyManager(stored.keyMaterial());
        ControlService service = new ControlService(settings, handler, keys, ca, identity, id, new Revoker());
        PinnedTrustManager trust = PinnedTrustManager.pinning(ca, PeerPolicy.only(PeerIdentity.core()), settings.clock(),
                reason -> log.warn("rejected core connection: {}", reason));
        return new Adopted(identity, id, keys, service, LinkServer.adoptedTls(keys, trust));
    }

    /** Guarded by lock (the caller holds it). */
    private void enterAdopted(Server mtls, Adopted adopted) {
        server = mtls;
        componentId = adopted.componentId;
        keyManager = adopted.keyManager;
        control = adopted.control;
        phase = Phase.ADOPTED;
    }

    /** The stored certificate must be this role's; the component id is whatever core assigned. */
    private PeerIdentity storedIdentity(X509Certificate leaf) throws IOException {
        PeerIdentity identity = Certificates.identity(leaf).orElseThrow(() -> new IOException(
                "the stored certificate carries no Portcullis identity; remove " + settings.store().directory()
                        + " and adopt this " + settings.role().urnName() + " again"));
        String prefix = "urn:portcullis:" + settings.role().urnName() + ":";
        try {
            if (identity.uri().startsWith(prefix)) {
                return PeerIdentity.component(settings.role(), identity.uri().substring(prefix.length()));
            }
        } catch (IllegalArgumentException e) {
            // falls through to the error below
        }
        throw new IOException("the credentials in " + settings.store().directory() + " belong to " + identity
                + ", not to a " + settings.role().urnName());
    }

    /**
     * An expired certificate is served anyway (core will refuse it, and says so); one that does
     * not chain to the stored CA means the store is damaged.
     */
    private void checkStoredCertificate(X509Certificate leaf, X509Certificate ca) throws IOException {
        try {
            leaf.checkValidity(Date.from(settings.clock().instant()));
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            log.warn("the stored certificate {} is valid only from {} to {}: core will refuse it; remove {} and adopt "
                    + "this {} again with a new join token", Certificates.serialHex(leaf), leaf.getNotBefore().toInstant(),
                    leaf.getNotAfter().toInstant(), settings.store().directory(), settings.role().urnName());
            return;
        }
        try {
            new PeerVerifier(ca, settings.clock()).verifyServer(new X509Certificate[] {leaf, ca});
        } catch (PeerRejectedException e) {
            throw new IOException("the stored credentials in " + settings.store().directory() + " are not usable ("
                    + e.getMessage() + "); remove the directory and adopt this " + settings.role().urnName() + " again");
        }
    }

    /** What happens to the link when core revokes the component. */
    private final class Revoker implements ControlService.Revocation {
        @Override
        public void revoked() {
            synchronized (lock) {
                if (phase == Phase.ADOPTED) {
                    phase = Phase.REVOKED;
                }
            }
        }

        @Override
        public void stopServing() {
            Server stopping;
            synchronized (lock) {
                stopping = server;
                server = null;
            }
            if (stopping != null) {
                LinkServer.stopInBackground(stopping, LinkServer.STOP_GRACE);
            }
        }
    }

    // --- public view -------------------------------------------------------------------------

    public LinkState state() {
        synchronized (lock) {
            return switch (phase) {
                case SETUP -> LinkState.SETUP;
                case ADOPTED -> control.connected() ? LinkState.CONNECTED : LinkState.WAITING_FOR_CORE;
                case REVOKED -> LinkState.REVOKED;
                case CLOSED -> LinkState.CLOSED;
            };
        }
    }

    /** The port the server is bound to (useful with port 0). */
    public int port() {
        synchronized (lock) {
            return port;
        }
    }

    /** The component id: from the join token before adoption, from the certificate after. */
    public String componentId() {
        synchronized (lock) {
            return componentId;
        }
    }

    /** The certificate presented to core now, if adopted. */
    public Optional<X509Certificate> certificate() {
        synchronized (lock) {
            return keyManager == null || phase != Phase.ADOPTED ? Optional.empty()
                    : Optional.of(keyManager.current().leaf());
        }
    }

    /** The configuration version last applied (0 if none). */
    public long configVersion() {
        ControlService service;
        synchronized (lock) {
            service = control;
        }
        return service == null ? 0 : service.configVersion();
    }

    /** Sends on the control stream. Returns false (and sends nothing) if core is not connected. */
    public boolean send(ComponentMessage message) {
        Objects.requireNonNull(message, "message");
        ControlService service;
        synchronized (lock) {
            service = phase == Phase.ADOPTED ? control : null;
        }
        return service != null && service.send(message);
    }

    /** Stops serving. Idempotent. */
    @Override
    public void close() {
        Server stopping;
        ControlService service;
        synchronized (lock) {
            if (phase == Phase.CLOSED) {
                return;
            }
            phase = Phase.CLOSED;
            stopping = server;
            server = null;
            service = control;
        }
        if (service != null) {
            service.stop(Status.UNAVAILABLE.withDescription("the component is shutting down"));
        }
        if (stopping != null) {
            if (transport.onCallThread()) {
                stopping.shutdownNow();
            } else {
                LinkServer.stop(stopping, Duration.ZERO);
            }
        }
        transport.close();
        log.info("{} link closed", settings.role().urnName());
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "ComponentLink[" + settings.role().urnName() + " " + componentId + ", " + phase + ", port " + port + "]";
        }
    }

    // --- shared by the services --------------------------------------------------------------

    static ComponentKind kind(PeerIdentity.Role role) {
        return switch (role) {
            case EDGE_PROXY -> ComponentKind.COMPONENT_KIND_EDGE_PROXY;
            case GATEWAY -> ComponentKind.COMPONENT_KIND_GATEWAY;
            case CORE -> throw new IllegalArgumentException("core is not a component");
        };
    }

    /** Peer-supplied text made safe for one log line: bounded, no control characters. */
    static String printable(String text) {
        String bounded = text.length() > MAX_LOGGED_TEXT ? text.substring(0, MAX_LOGGED_TEXT) + "…" : text;
        return bounded.codePoints()
                .map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }
}
