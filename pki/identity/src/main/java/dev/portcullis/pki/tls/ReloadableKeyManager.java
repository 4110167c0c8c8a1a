package dev.portcullis.pki.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager whose key and certificate can be replaced while a TLS server or client keeps
 * running. New handshakes present the new certificate; established connections (and the
 * streams on them) are not touched. This is how certificates rotate without dropping streams.
 */
public final class ReloadableKeyManager extends X509ExtendedKeyManager {

    private static final String ALIAS = "portcullis";
    private final AtomicReference<KeyMaterial> current;

    public ReloadableKeyManager(KeyMaterial initial) {
        this.current = new AtomicReference<>(initial);
    }

    public void replace(KeyMaterial next) {
        current.set(next);
    }

    public KeyMaterial current() {
        return current.get();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return ALIAS;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return ALIAS;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return ALIAS;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return ALIAS;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? current.get().chain() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? current.get().privateKey() : null;
    }
}
