package dev.portcullis.core.link;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trust for dialing a component that has not joined yet. Its certificate is self-signed, so
 * nothing can be verified here; instead the certificate is captured and the join ceremony
 * requires the component's CSR to be for the same key (proof that the peer on this TLS channel
 * holds the key it asks core to certify), and the token proves it is the component the admin
 * registered. The component, for its part, verified core's client certificate against the CA
 * pinned in the token before it revealed the token.
 */
final class SetupServerCertificate extends X509ExtendedTrustManager {

    private final AtomicReference<X509Certificate> captured = new AtomicReference<>();

    X509Certificate captured() {
        return captured.get();
    }

    private void capture(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("component presented no certificate");
        }
        chain[0].checkValidity();
        captured.set(chain[0]);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        capture(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        capture(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        capture(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("core never serves TLS to components");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("core never serves TLS to components");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("core never serves TLS to components");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
