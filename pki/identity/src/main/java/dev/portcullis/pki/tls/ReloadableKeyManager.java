package dev.portcullis.pki.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager whose key and certificate can be replaced while a TLS server or client keeps
 * running. New handshakes present the new certificate; established connections (and the
 * streams on them) are not touched. This is how certificates rotate without dropping streams.
 * <p>
 * JSSE chooses an alias, then asks for its private key and its chain in separate calls. Each
 * {@link #replace} therefore gets a new alias, and an alias keeps naming the material it was
 * chosen for (the current and the previous generation are kept), so a rotation in the middle of
 * a handshake cannot pair the old key with the new certificate.
 */
public final class ReloadableKeyManager extends X509ExtendedKeyManager {

    private static final String ALIAS_PREFIX = "portcullis-";
    /** Replaced as a whole, so the current and previous generation are always read together. */
    private final AtomicReference<Generations> generations;

    public ReloadableKeyManager(KeyMaterial initial) {
        this.generations = new AtomicReference<>(
                new Generations(new Generation(0, Objects.requireNonNull(initial, "initial")), null));
    }

    public void replace(KeyMaterial next) {
        Objects.requireNonNull(next, "next");
        generations.updateAndGet(g -> new Generations(new Generation(g.current().number() + 1, next), g.current()));
    }

    public KeyMaterial current() {
        return generations.get().current().material();
    }

    private String currentAlias() {
        return generations.get().current().alias();
    }

    private KeyMaterial material(String alias) {
        Generations g = generations.get();
        if (g.current().alias().equals(alias)) {
            return g.current().material();
        }
        if (g.previous() != null && g.previous().alias().equals(alias)) {
            return g.previous().material();
        }
        return null;
    }

    private record Generation(long number, KeyMaterial material) {
        String alias() {
            return ALIAS_PREFIX + number;
        }
    }

    private record Generations(Generation current, Generation previous) {
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {currentAlias()};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return currentAlias();
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return currentAlias();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {currentAlias()};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return currentAlias();
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return currentAlias();
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        KeyMaterial material = material(alias);
        return material == null ? null : material.chain();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        KeyMaterial material = material(alias);
        return material == null ? null : material.privateKey();
    }
}
