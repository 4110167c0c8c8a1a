package dev.portcullis.edge.http;

import dev.portcullis.edge.tls.PublicCertificate;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.http.ssl.CertificateProvider;
import java.security.KeyStore;
import org.reactivestreams.Publisher;

/** Hands the public certificate to the HTTPS server as an in-memory key store; nothing is read from or written to disk. */
final class PublicTlsProvider implements CertificateProvider {

    static final String NAME = "portcullis-public";

    private final KeyStore keyStore;

    PublicTlsProvider(PublicCertificate certificate, char[] password) {
        this.keyStore = certificate.keyStore(password);
    }

    @Override
    public Publisher<KeyStore> getKeyStore() {
        return Publishers.just(keyStore);
    }

    @Override
    public String getName() {
        return NAME;
    }
}
