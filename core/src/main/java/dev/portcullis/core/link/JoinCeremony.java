package dev.portcullis.core.link;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.ComponentSetupGrpc;
import dev.portcullis.protocol.v1.JoinCertificate;
import dev.portcullis.protocol.v1.JoinChallenge;
import dev.portcullis.protocol.v1.JoinProof;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Adopting a component, as a sequence of named steps:
 * <ol>
 *   <li>{@link #dial}: TLS to the component in setup mode, presenting core's client certificate;</li>
 *   <li>{@link #challenge}: ask for its CSR and join token;</li>
 *   <li>{@link #checkKeyMatchesChannel}: the CSR's key must be the key of the TLS channel;</li>
 *   <li>{@link #consumeToken}: the token must be this component's, unexpired, unused — and is used up;</li>
 *   <li>{@link #issue}: sign a short-lived certificate for the component's identity and record it;</li>
 *   <li>{@link #install}: hand the certificate and CA to the component.</li>
 * </ol>
 * A failed step ends the ceremony with a {@link JoinFailedException} whose message is logged.
 */
final class JoinCeremony {

    /** Each RPC of the ceremony is small; a component that takes longer is not healthy. */
    static final Duration RPC_DEADLINE = Duration.ofSeconds(10);

    private final ComponentRecord component;
    private final ComponentDirectory directory;
    private final CertificateAuthority ca;
    private final CoreIdentity coreIdentity;
    private final Duration certificateLifetime;
    private final Executor executor;

    JoinCeremony(ComponentRecord component, ComponentDirectory directory, CertificateAuthority ca,
                 CoreIdentity coreIdentity, Duration certificateLifetime, Executor executor) {
        this.component = component;
        this.directory = directory;
        this.ca = ca;
        this.coreIdentity = coreIdentity;
        this.certificateLifetime = certificateLifetime;
        this.executor = executor;
    }

    /**
     * Runs the ceremony. If a certificate was already issued in an earlier attempt whose install
     * step failed, pass it as {@code pendingCertificate}: only the install step is repeated.
     * Returns the installed certificate.
     */
    X509Certificate run(X509Certificate pendingCertificate, PendingCertificateSink pendingSink) throws JoinFailedException {
        SetupServerCertificate serverCertificate = new SetupServerCertificate();
        ManagedChannel channel = dial(serverCertificate);
        try {
            ComponentSetupGrpc.ComponentSetupBlockingStub stub = ComponentSetupGrpc.newBlockingStub(channel);
            if (pendingCertificate != null) {
                retryInstall(stub, pendingCertificate);
                return pendingCertificate;
            }
            JoinProof proof = challenge(stub);
            CertificateRequest request = checkKeyMatchesChannel(proof, serverCertificate.captured());
            consumeToken(proof);
            X509Certificate certificate = issue(request);
            pendingSink.accept(certificate);
            install(stub, certificate);
            return certificate;
        } finally {
            Channels.close(channel);
        }
    }

    ManagedChannel dial(SetupServerCertificate serverCertificate) {
        return Channels.dial(component.host(), component.port(), coreIdentity.keyManager(), serverCertificate, executor);
    }

    JoinProof challenge(ComponentSetupGrpc.ComponentSetupBlockingStub stub) throws JoinFailedException {
        try {
            return stub.withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).join(JoinChallenge.newBuilder()
                    .setComponentId(component.id())
                    .setKind(kind(component.role()))
                    .build());
        } catch (StatusRuntimeException e) {
            throw new JoinFailedException("component did not answer the join challenge: " + RpcFailures.describe(e));
        }
    }

    static CertificateRequest checkKeyMatchesChannel(JoinProof proof, X509Certificate channelCertificate)
            throws JoinFailedException {
        CertificateRequest request;
        try {
            request = CertificateRequest.parse(proof.getCsrDer().toByteArray());
        } catch (CertificateRequest.InvalidRequestException e) {
            throw new JoinFailedException("component sent an unusable certificate request: " + e.getMessage());
        }
        if (channelCertificate == null || !MessageDigest.isEqual(channelCertificate.getPublicKey().getEncoded(),
                request.publicKey().getEncoded())) {
            throw new JoinFailedException("the certificate request is not for the key of the TLS channel it came over");
        }
        return request;
    }

    void consumeToken(JoinProof proof) throws JoinFailedException {
        JoinVerdict verdict = directory.consumeJoinToken(component.id(), proof.getTokenId(),
                proof.getTokenSecret().toByteArray());
        if (verdict != JoinVerdict.ACCEPTED) {
            throw new JoinFailedException("join token refused (" + verdict.name().toLowerCase().replace('_', ' ')
                    + "); issue a new one with 'portcullis-admin component token " + component.name() + "'");
        }
    }

    X509Certificate issue(CertificateRequest request) {
        X509Certificate certificate = ca.issueComponent(request, component.identity(), List.of(component.host()),
                certificateLifetime);
        directory.certificateIssued(component.id(), certificate);
        return certificate;
    }

    void install(ComponentSetupGrpc.ComponentSetupBlockingStub stub, X509Certificate certificate)
            throws JoinFailedException {
        try {
            stub.withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).complete(JoinCertificate.newBuilder()
                    .setCertificateDer(ByteString.copyFrom(Certificates.der(certificate)))
                    .setCaCertificateDer(ByteString.copyFrom(Certificates.der(ca.certificate())))
                    .build());
        } catch (StatusRuntimeException e) {
            throw new JoinFailedException("component did not accept its certificate: " + RpcFailures.describe(e));
        }
    }

    private void retryInstall(ComponentSetupGrpc.ComponentSetupBlockingStub stub, X509Certificate pending)
            throws JoinFailedException {
        try {
            install(stub, pending);
        } catch (JoinFailedException e) {
            throw new JoinFailedException(e.getMessage() + "; if the component restarted since its token was used, "
                    + "issue a new token with 'portcullis-admin component token " + component.name() + "'");
        }
    }

    static ComponentKind kind(PeerIdentity.Role role) {
        return switch (role) {
            case EDGE_PROXY -> ComponentKind.COMPONENT_KIND_EDGE_PROXY;
            case GATEWAY -> ComponentKind.COMPONENT_KIND_GATEWAY;
            case CORE -> throw new IllegalArgumentException("core is not a component");
        };
    }

    /** Receives a certificate as soon as it is issued, before it is installed. */
    @FunctionalInterface
    interface PendingCertificateSink {
        void accept(X509Certificate certificate);
    }

    /** The ceremony stopped; the message is safe to log and to show an admin. */
    static final class JoinFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        JoinFailedException(String message) {
            super(message);
        }
    }
}
