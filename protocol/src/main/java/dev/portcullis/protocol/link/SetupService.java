package dev.portcullis.protocol.link;

import com.google.protobuf.ByteString;
import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.tls.KeyMaterial;
import dev.portcullis.protocol.link.IssuedCertificate.RefusedCertificateException;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.ComponentSetupGrpc;
import dev.portcullis.protocol.v1.JoinCertificate;
import dev.portcullis.protocol.v1.JoinChallenge;
import dev.portcullis.protocol.v1.JoinCompleted;
import dev.portcullis.protocol.v1.JoinProof;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ComponentSetup}, served until the component is adopted. TLS has already proved that the
 * caller holds a core certificate from the CA the join token pins, so the token may be revealed to
 * it; what is checked here is that core is adopting <em>this</em> component, and that the
 * certificate it installs is one this component can safely present.
 */
final class SetupService extends ComponentSetupGrpc.ComponentSetupImplBase {

    private static final Logger log = LoggerFactory.getLogger(SetupService.class);

    private final PeerIdentity.Role role;
    private final JoinToken token;
    private final KeyPair keyPair;
    private final PeerIdentity identity;
    private final CertificateRequest request;
    private final CredentialStore store;
    private final Clock clock;
    private final Consumer<KeyMaterial> onAdopted;

    private final Object lock = new Object();
    /** Guarded by lock. The credentials Complete stored; once set, this service only repeats that answer. */
    private KeyMaterial installed;

    /**
     * @param onAdopted called once, after the JoinCompleted answer has been sent (or core gave up
     *                  waiting for it), with the key material now stored
     */
    SetupService(PeerIdentity.Role role, JoinToken token, KeyPair keyPair, CredentialStore store, Clock clock,
                 Consumer<KeyMaterial> onAdopted) {
        this.role = role;
        this.token = token;
        this.keyPair = keyPair;
        this.identity = PeerIdentity.component(role, token.componentId());
        this.request = CertificateRequest.create(keyPair, identity.uri());
        this.store = store;
        this.clock = clock;
        this.onAdopted = onAdopted;
    }

    @Override
    public void join(JoinChallenge challenge, StreamObserver<JoinProof> responseObserver) {
        synchronized (lock) {
            if (installed != null) {
                responseObserver.onError(Status.FAILED_PRECONDITION
                        .withDescription("this component has already been adopted").asRuntimeException());
                return;
            }
        }
        if (!token.componentId().equals(challenge.getComponentId())) {
            log.warn("refused core's join challenge: it is for component {}, but this {} holds the join token for "
                    + "component {}", ComponentLink.printable(challenge.getComponentId()), role.urnName(),
                    token.componentId());
            responseObserver.onError(Status.PERMISSION_DENIED
                    .withDescription("this component holds a join token for another component id").asRuntimeException());
            return;
        }
        ComponentKind expected = ComponentLink.kind(role);
        if (challenge.getKind() != expected) {
            log.warn("refused core's join challenge: it is for a {}, but this component is a {}",
                    challenge.getKind(), role.urnName());
            responseObserver.onError(Status.PERMISSION_DENIED
                    .withDescription("this component is a " + role.urnName() + ", not " + challenge.getKind())
                    .asRuntimeException());
            return;
        }
        log.info("answering core's join challenge with a certificate request and join token {}", token.tokenId());
        responseObserver.onNext(JoinProof.newBuilder()
                .setCsrDer(ByteString.copyFrom(request.der()))
                .setTokenId(token.tokenId())
                .setTokenSecret(ByteString.copyFrom(token.secret()))
                .build());
        responseObserver.onCompleted();
    }

    @Override
    public void complete(JoinCertificate offered, StreamObserver<JoinCompleted> responseObserver) {
        KeyMaterial material;
        synchronized (lock) {
            if (installed != null) {
                // Core retries Complete when it did not see our answer; repeat it for the same certificate.
                if (MessageDigest.isEqual(offered.getCertificateDer().toByteArray(), Certificates.der(installed.leaf()))) {
                    responseObserver.onNext(JoinCompleted.getDefaultInstance());
                    responseObserver.onCompleted();
                } else {
                    responseObserver.onError(Status.FAILED_PRECONDITION
                            .withDescription("this component has already been adopted").asRuntimeException());
                }
                return;
            }
            try {
                material = IssuedCertificate.verify(offered.getCertificateDer().toByteArray(),
                        offered.getCaCertificateDer().toByteArray(), token.caFingerprint(), keyPair, identity, clock);
            } catch (RefusedCertificateException e) {
                log.warn("refused the certificate core offered to complete adoption: {}; still in setup mode",
                        e.getMessage());
                responseObserver.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                return;
            }
            X509Certificate ca = material.chain()[1];
            try {
                store.save(material, ca);
            } catch (UncheckedIOException e) {
                log.error("could not store this component's credentials in {}: {}; still in setup mode",
                        store.directory(), e.getMessage());
                responseObserver.onError(Status.INTERNAL
                        .withDescription("the component could not store its credentials").asRuntimeException());
                return;
            }
            installed = material;
        }
        log.info("adopted as {} with certificate {} (valid until {}); credentials stored in {}", identity,
                Certificates.serialHex(material.leaf()), material.leaf().getNotAfter().toInstant(), store.directory());
        // Switch to mTLS only once core has our answer; if core stops waiting, switch anyway: the
        // credentials are stored and a restart would come up adopted too.
        AtomicBoolean switched = new AtomicBoolean();
        Runnable adopt = () -> {
            if (switched.compareAndSet(false, true)) {
                onAdopted.accept(material);
            }
        };
        ServerCallStreamObserver<JoinCompleted> call = (ServerCallStreamObserver<JoinCompleted>) responseObserver;
        call.setOnCloseHandler(adopt);
        call.setOnCancelHandler(adopt);
        responseObserver.onNext(JoinCompleted.getDefaultInstance());
        responseObserver.onCompleted();
    }
}
