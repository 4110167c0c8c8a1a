package dev.portcullis.pki.enroll;

import java.net.IDN;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The only trust an enrolling device has: the {@code #ca=} pin of its invite link. A server chain
 * is accepted when
 * <ol>
 *   <li>some certificate of the chain (normally its top) has the pinned SHA-256;</li>
 *   <li>every certificate from the leaf up to that one is signed by the next, names it as issuer,
 *       is within its validity, and every issuer on that path is a CA;</li>
 *   <li>the leaf, if it states extended key usages, allows TLS server use; and</li>
 *   <li>the leaf names the host this connection was opened to (subjectAltName dNSName, with a
 *       wildcard only as the whole leftmost label, or iPAddress for an IP literal; the subject
 *       CN is never consulted).</li>
 * </ol>
 * Nothing else is trusted: no system CA, no trust-on-first-use. Without a connection to read the
 * host from, a server chain is refused (fail closed). This manager only verifies servers;
 * {@code checkClientTrusted} always throws.
 * <p>
 * Rejections are {@link UntrustedServerException}s whose message is safe to show and whose
 * {@link UntrustedServerException#reason()} lets a caller explain what went wrong.
 */
public final class PinnedAnchorTrustManager extends X509ExtendedTrustManager {

    /** id-kp-serverAuth. */
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    /** anyExtendedKeyUsage. */
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
    private static final int SAN_DNS_NAME = 2;
    private static final int SAN_IP_ADDRESS = 7;
    /**
     * Longest chain we look at. Real server chains have two to four certificates; the bound keeps
     * a hostile server from making us verify signatures without end.
     */
    public static final int MAX_CHAIN_LENGTH = 8;

    private final byte[] pin;
    private final Clock clock;

    private PinnedAnchorTrustManager(byte[] pin, Clock clock) {
        TrustAnchorPin.checkLength(pin);
        this.pin = pin.clone();
        this.clock = clock;
    }

    /** Trusts the anchor with this SHA-256 and checks validity against the system clock. */
    public static PinnedAnchorTrustManager pinning(byte[] trustAnchorSha256) {
        return new PinnedAnchorTrustManager(trustAnchorSha256, Clock.systemUTC());
    }

    /** As {@link #pinning(byte[])} with an explicit clock for validity checks. */
    public static PinnedAnchorTrustManager pinning(byte[] trustAnchorSha256, Clock clock) {
        return new PinnedAnchorTrustManager(trustAnchorSha256, clock);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServer(chain, hostOf(socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServer(chain, hostOf(engine));
    }

    /** Always refuses: without a connection there is no host name to verify the certificate against. */
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkServer(chain, null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw clientsNotSupported();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw clientsNotSupported();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw clientsNotSupported();
    }

    /** None: we trust a hash, not a certificate we hold, and name no CA to a server. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    private void checkServer(X509Certificate[] chain, String host) throws UntrustedServerException {
        if (chain == null || chain.length == 0) {
            throw new UntrustedServerException(Reason.BROKEN_CHAIN, "the server presented no certificate");
        }
        if (chain.length > MAX_CHAIN_LENGTH) {
            throw new UntrustedServerException(Reason.BROKEN_CHAIN,
                    "the server presented " + chain.length + " certificates; at most " + MAX_CHAIN_LENGTH + " are accepted");
        }
        int anchor = pinnedIndex(chain);
        if (anchor < 0) {
            throw new UntrustedServerException(Reason.PIN_MISMATCH,
                    "the server's certificate does not match the pin (#ca=" + TrustAnchorPin.encode(pin) + "); its chain ends in #ca="
                            + TrustAnchorPin.encode(TrustAnchorPin.of(chain)));
        }
        Date now = Date.from(clock.instant());
        for (int i = 0; i <= anchor; i++) {
            checkValidity(chain[i], now, i);
        }
        for (int i = 0; i < anchor; i++) {
            checkIssuedBy(chain[i], chain[i + 1], i);
        }
        checkServerUsage(chain[0]);
        if (host == null || host.isEmpty()) {
            throw new UntrustedServerException(Reason.HOSTNAME_MISMATCH,
                    "cannot verify the server's name: the connection does not say which host it was opened to");
        }
        if (!HostnameMatcher.matches(host, chain[0])) {
            throw new UntrustedServerException(Reason.HOSTNAME_MISMATCH,
                    "the server's certificate is not valid for " + host);
        }
    }

    private int pinnedIndex(X509Certificate[] chain) {
        int found = -1;
        for (int i = chain.length - 1; i >= 0; i--) {
            if (MessageDigest.isEqual(pin, TrustAnchorPin.sha256(chain[i]))) {
                found = i;
            }
        }
        return found;
    }

    private static void checkValidity(X509Certificate certificate, Date now, int position) throws UntrustedServerException {
        try {
            certificate.checkValidity(now);
        } catch (CertificateExpiredException e) {
            throw new UntrustedServerException(Reason.EXPIRED,
                    describe(position) + " expired on " + certificate.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new UntrustedServerException(Reason.EXPIRED,
                    describe(position) + " is not valid before " + certificate.getNotBefore().toInstant() + " (check this device's clock)");
        }
    }

    private static void checkIssuedBy(X509Certificate subject, X509Certificate issuer, int position) throws UntrustedServerException {
        if (!subject.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            throw new UntrustedServerException(Reason.BROKEN_CHAIN, describe(position) + " is not issued by the next certificate of the chain");
        }
        if (issuer.getBasicConstraints() < 0) {
            throw new UntrustedServerException(Reason.BROKEN_CHAIN, describe(position + 1) + " is not a CA but issued another certificate");
        }
        try {
            subject.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new UntrustedServerException(Reason.BROKEN_CHAIN, describe(position) + " is not signed by the next certificate of the chain");
        }
    }

    private static void checkServerUsage(X509Certificate leaf) throws UntrustedServerException {
        List<String> usages;
        try {
            usages = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new UntrustedServerException(Reason.BROKEN_CHAIN, "the server's certificate has an unreadable extended key usage");
        }
        if (usages != null && !usages.contains(SERVER_AUTH) && !usages.contains(ANY_EXTENDED_KEY_USAGE)) {
            throw new UntrustedServerException(Reason.BROKEN_CHAIN, "the server's certificate is not issued for TLS server use");
        }
    }

    private static String describe(int position) {
        return position == 0 ? "the server's certificate" : "certificate " + (position + 1) + " of the server's chain";
    }

    private static String hostOf(Socket socket) {
        if (socket instanceof SSLSocket ssl) {
            SSLSession session = ssl.getHandshakeSession();
            if (session != null && session.getPeerHost() != null) {
                return session.getPeerHost();
            }
        }
        return null;
    }

    private static String hostOf(SSLEngine engine) {
        if (engine == null) {
            return null;
        }
        SSLSession session = engine.getHandshakeSession();
        if (session != null && session.getPeerHost() != null) {
            return session.getPeerHost();
        }
        return engine.getPeerHost();
    }

    private static CertificateException clientsNotSupported() {
        return new CertificateException("this trust manager verifies servers only");
    }

    /** Why a server was refused. */
    public enum Reason {
        /** No certificate of the chain has the pinned SHA-256: not the proxy the invite link was made for. */
        PIN_MISMATCH,
        /** The chain verifies to the pin but does not name the host we connected to. */
        HOSTNAME_MISMATCH,
        /** A certificate on the path to the pin is expired or not yet valid. */
        EXPIRED,
        /** The chain is malformed: bad signature, wrong issuer, non-CA issuer, wrong key usage. */
        BROKEN_CHAIN
    }

    /** A refused server chain; the message names what was wrong and is safe to show a user. */
    public static final class UntrustedServerException extends CertificateException {
        private static final long serialVersionUID = 1L;
        private final Reason reason;

        public UntrustedServerException(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    /**
     * RFC 6125 matching, strictly: reference identifiers from subjectAltName only, a wildcard
     * only as the whole leftmost label of a name with at least three labels, matching exactly one
     * label, and never for an IP address.
     */
    static final class HostnameMatcher {

        private HostnameMatcher() {
        }

        static boolean matches(String host, X509Certificate leaf) {
            Collection<List<?>> names;
            try {
                names = leaf.getSubjectAlternativeNames();
            } catch (CertificateParsingException e) {
                return false;
            }
            if (names == null) {
                return false;
            }
            String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            if (isIpLiteral(bare)) {
                byte[] address = ipBytes(bare);
                for (List<?> name : names) {
                    if (((Integer) name.get(0)) == SAN_IP_ADDRESS && address != null) {
                        byte[] candidate = ipBytes((String) name.get(1));
                        if (candidate != null && MessageDigest.isEqual(address, candidate)) {
                            return true;
                        }
                    }
                }
                return false;
            }
            String reference = normalise(bare);
            if (reference == null) {
                return false;
            }
            for (List<?> name : names) {
                if (((Integer) name.get(0)) == SAN_DNS_NAME) {
                    String presented = normalise((String) name.get(1));
                    if (presented != null && dnsMatches(reference, presented)) {
                        return true;
                    }
                }
            }
            return false;
        }

        static boolean dnsMatches(String reference, String presented) {
            if (!presented.startsWith("*.")) {
                return !presented.contains("*") && reference.equals(presented);
            }
            String suffix = presented.substring(1); // ".example.com"
            if (suffix.contains("*") || suffix.chars().filter(c -> c == '.').count() < 2) {
                return false; // "*.*.com", "*.com": too broad to mean one service
            }
            if (!reference.endsWith(suffix)) {
                return false;
            }
            String label = reference.substring(0, reference.length() - suffix.length());
            return !label.isEmpty() && !label.contains(".");
        }

        private static String normalise(String name) {
            if (name == null || name.isEmpty()) {
                return null;
            }
            String trimmed = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
            try {
                return IDN.toASCII(trimmed, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        private static boolean isIpLiteral(String host) {
            return host.contains(":") || isIpv4Literal(host);
        }

        private static boolean isIpv4Literal(String host) {
            if (!host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
                return false;
            }
            for (String octet : host.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return false;
                }
            }
            return true;
        }

        /** Parses only literals; never resolves a name. */
        private static byte[] ipBytes(String literal) {
            String bare = literal.startsWith("[") && literal.endsWith("]") ? literal.substring(1, literal.length() - 1) : literal;
            if (!isIpLiteral(bare)) {
                return null;
            }
            try {
                return InetAddress.getByName(bare).getAddress();
            } catch (UnknownHostException e) {
                return null;
            }
        }
    }
}
