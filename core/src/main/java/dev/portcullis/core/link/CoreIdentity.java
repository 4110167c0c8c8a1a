package dev.portcullis.core.link;

import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.tls.KeyMaterial;
import dev.portcullis.pki.tls.ReloadableKeyManager;
import java.time.Duration;
import java.time.Instant;

/**
 * Core's own TLS client certificate, issued by core's CA for a key generated in this process
 * and never written anywhere. Renewed in place: new handshakes use the new certificate,
 * established streams are not touched.
 */
final class CoreIdentity {

    /** Short: the key exists only in memory and is re-issued on every core start anyway. */
    static final Duration LIFETIME = Duration.ofHours(24);

    private final CertificateAuthority ca;
    private final ReloadableKeyManager keyManager;

    CoreIdentity(CertificateAuthority ca) {
        this.ca = ca;
        this.keyManager = new ReloadableKeyManager(ca.issueCore(LIFETIME));
    }

    ReloadableKeyManager keyManager() {
        return keyManager;
    }

    /** When the current certificate should be replaced (two thirds into its life). */
    Instant renewAt() {
        KeyMaterial current = keyManager.current();
        Instant notBefore = current.leaf().getNotBefore().toInstant();
        Instant notAfter = current.leaf().getNotAfter().toInstant();
        return notBefore.plus(Duration.between(notBefore, notAfter).multipliedBy(2).dividedBy(3));
    }

    void renew() {
        keyManager.replace(ca.issueCore(LIFETIME));
    }
}
