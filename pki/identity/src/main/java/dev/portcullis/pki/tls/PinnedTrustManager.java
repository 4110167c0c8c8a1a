package dev.portcullis.pki.tls;

import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerVerifier;
import dev.portcullis.pki.cert.PeerVerifier.PeerRejectedException;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts exactly one CA, pinned either as a certificate (after adoption) or as a SHA-256
 * fingerprint (in setup mode, where a join token carries only the fingerprint and the peer
 * presents the CA certificate as the last element of its chain). Then applies a {@link PeerPolicy}.
 * Each rejection is reported to a listener with a message safe to log, then thrown.
 */
public final class PinnedTrustManager extends X509ExtendedTrustManager {

    private final X509Certificate pinnedCa;
    private final CaFingerprint pinnedFingerprint;
    private final PeerPolicy policy;
    private final Clock clock;
    private final Consumer<String> onReject;

    private PinnedTrustManager(X509Certificate pinnedCa, CaFingerprint pinnedFingerprint, PeerPolicy policy,
                               Clock clock, Consumer<String> onReject) {
        this.pinnedCa = pinnedCa;
        this.pinnedFingerprint = pinnedFingerprint;
        this.policy = policy;
        this.clock = clock;
        this.onReject = onReject;
    }

    public static PinnedTrustManager pinning(X509Certificate ca, PeerPolicy policy, Clock clock, Consumer<String> onReject) {
        return new PinnedTrustManager(ca, null, policy, clock, onReject);
    }

    public static PinnedTrustManager pinningFingerprint(CaFingerprint fingerprint, PeerPolicy policy, Clock clock,
                                                        Consumer<String> onReject) {
        return new PinnedTrustManager(null, fingerprint, policy, clock, onReject);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, true);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, true);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, true);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, false);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, false);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, false);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pinnedCa == null ? new X509Certificate[0] : new X509Certificate[] {pinnedCa};
    }

    private void check(X509Certificate[] chain, boolean client) throws CertificateException {
        try {
            X509Certificate ca = resolveCa(chain);
            PeerVerifier verifier = new PeerVerifier(ca, clock);
            PeerIdentity identity = client ? verifier.verifyClient(chain) : verifier.verifyServer(chain);
            policy.check(identity, chain[0]);
        } catch (PeerRejectedException e) {
            onReject.accept(e.getMessage());
            throw new CertificateException(e.getMessage());
        }
    }

    private X509Certificate resolveCa(X509Certificate[] chain) throws PeerRejectedException {
        if (pinnedCa != null) {
            return pinnedCa;
        }
        if (chain == null || chain.length < 2) {
            throw new PeerRejectedException("peer did not present the CA certificate the join token pins");
        }
        X509Certificate presented = chain[chain.length - 1];
        if (!pinnedFingerprint.matches(presented)) {
            throw new PeerRejectedException("peer's CA " + CaFingerprint.of(presented)
                    + " is not the pinned " + pinnedFingerprint);
        }
        if (presented.getBasicConstraints() < 0) {
            throw new PeerRejectedException("pinned CA certificate " + Certificates.serialHex(presented) + " is not a CA");
        }
        return presented;
    }
}
