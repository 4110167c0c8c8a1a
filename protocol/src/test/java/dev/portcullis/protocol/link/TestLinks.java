package dev.portcullis.protocol.link;

import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.store.CredentialStore;
import dev.portcullis.pki.tls.KeyMaterial;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;

/** Starting links the way a component process does, on loopback port 0. */
final class TestLinks {

    static final String SOFTWARE_VERSION = "test-1.0";

    private TestLinks() {
    }

    static String newComponentId() {
        return UUID.randomUUID().toString();
    }

    static LinkSettings settings(PeerIdentity.Role role, Path credentials, Optional<JoinToken> token) {
        return new LinkSettings(role, new InetSocketAddress("127.0.0.1", 0), new CredentialStore(credentials), token,
                Clock.systemUTC(), SOFTWARE_VERSION);
    }

    static ComponentLink startInSetup(PeerIdentity.Role role, Path credentials, JoinToken token,
                                      ComponentHandler handler) throws IOException {
        return ComponentLink.start(settings(role, credentials, Optional.of(token)), handler);
    }

    /** Stores credentials as a past adoption would have, then starts the link without a token. */
    static ComponentLink startAdopted(FakeCore core, PeerIdentity.Role role, String componentId, Path credentials,
                                      ComponentHandler handler) throws IOException {
        PeerIdentity identity = PeerIdentity.component(role, componentId);
        KeyPair keyPair = KeyPairs.generate();
        X509Certificate certificate = core.issue(CertificateRequest.create(keyPair, identity.uri()), identity);
        new CredentialStore(credentials).save(
                new KeyMaterial(keyPair.getPrivate(), certificate, core.ca.certificate()), core.ca.certificate());
        return ComponentLink.start(settings(role, credentials, Optional.empty()), handler);
    }
}
