package dev.portcullis.pki.authority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.pki.cert.CertificateRequest;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.KeyPairs;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.cert.PeerIdentity.Role;
import dev.portcullis.pki.cert.PeerVerifier;
import dev.portcullis.pki.cert.PeerVerifier.PeerRejectedException;
import dev.portcullis.pki.tls.KeyMaterial;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {

    private static final Instant NOW = Instant.parse("2026-01-10T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final PeerIdentity GATEWAY = PeerIdentity.component(Role.GATEWAY, "0b5c6f3e-9a1d-4c2b-8e7f-1a2b3c4d5e6f");
    /** The purpose the CA key is sealed under; changing it would orphan every stored CA. */
    private static final String CA_KEY_PURPOSE = "portcullis/ca-key/v1";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int SAN_DNS = 2;
    private static final int SAN_URI = 6;
    private static final int SAN_IP = 7;

    private final CertificateAuthority ca = CertificateAuthority.create("Portcullis test CA", CLOCK);
    private final KeyPair componentKey = KeyPairs.generate();
    private final CertificateRequest request = CertificateRequest.create(componentKey, "gateway");

    private X509Certificate issue(CertificateAuthority authority, Duration lifetime) {
        return authority.issueComponent(request, GATEWAY, List.of(), lifetime);
    }

    private static List<Object> sans(X509Certificate certificate, int type) throws Exception {
        return certificate.getSubjectAlternativeNames().stream()
                .filter(name -> type == (Integer) name.get(0)).map(name -> (Object) name.get(1)).toList();
    }

    // --- component certificates ---

    @Test
    void aComponentCertificateCarriesExactlyOneUriSanWithItsIdentity() throws Exception {
        X509Certificate certificate = ca.issueComponent(request, GATEWAY, List.of("gateway.example.net"), Duration.ofDays(7));

        assertThat(sans(certificate, SAN_URI)).containsExactly(GATEWAY.uri());
        assertThat(Certificates.identity(certificate)).contains(GATEWAY);
    }

    @Test
    void aComponentCertificateNamesItsHostsAsDnsAndIpSans() throws Exception {
        X509Certificate certificate = ca.issueComponent(request, GATEWAY,
                List.of("gateway.example.net", "192.0.2.7", "2001:db8::1"), Duration.ofDays(7));

        assertThat(sans(certificate, SAN_DNS)).containsExactly("gateway.example.net");
        List<InetAddress> addresses = sans(certificate, SAN_IP).stream()
                .map(ip -> {
                    try {
                        return InetAddress.getByName((String) ip); // literals only: no lookup
                    } catch (java.net.UnknownHostException e) {
                        throw new AssertionError(e);
                    }
                }).toList();
        assertThat(addresses).containsExactly(InetAddress.getByName("192.0.2.7"), InetAddress.getByName("2001:db8::1"));
    }

    @Test
    void aComponentCertificateIsForTheRequestedKeyAndSignedByTheCa() throws Exception {
        X509Certificate certificate = issue(ca, Duration.ofDays(7));

        assertThat(certificate.getPublicKey()).isEqualTo(componentKey.getPublic());
        assertThat(certificate.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
        certificate.verify(ca.certificate().getPublicKey());
    }

    @Test
    void aComponentCertificateIsForTlsServerUseOnlyAndIsNotACa() throws Exception {
        X509Certificate certificate = issue(ca, Duration.ofDays(7));

        assertThat(certificate.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
        assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
        assertThat(certificate.getCriticalExtensionOIDs()).contains("2.5.29.19"); // basic constraints
        assertThat(certificate.getKeyUsage()).startsWith(true, false, false, false, false, false); // digitalSignature only
        assertThat(certificate.getKeyUsage()[5]).as("keyCertSign").isFalse();
    }

    @Test
    void aComponentCertificateLivesAsLongAsRequested() throws Exception {
        X509Certificate week = issue(ca, CertificateAuthority.DEFAULT_LEAF_LIFETIME);
        X509Certificate hour = issue(ca, Duration.ofHours(1));

        assertThat(week.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(7)));
        assertThat(hour.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(1)));
        assertThat(week.getNotBefore().toInstant()).isBeforeOrEqualTo(NOW).isAfter(NOW.minus(Duration.ofHours(1)));
        week.checkValidity(java.util.Date.from(NOW));
    }

    @Test
    void noCertificateOutlivesTheCa() throws Exception {
        Instant caNotAfter = ca.certificate().getNotAfter().toInstant();
        Sealer sealer = sealer();
        CertificateAuthority nearItsEnd = CertificateAuthority.restore(ca.certificate(), ca.sealedKey(sealer), sealer,
                Clock.fixed(caNotAfter.minus(Duration.ofDays(1)), ZoneOffset.UTC));

        X509Certificate certificate = issue(nearItsEnd, Duration.ofDays(7));

        assertThat(certificate.getNotAfter().toInstant()).isEqualTo(caNotAfter);
    }

    @Test
    void serialsAreUniqueAndPositiveOverManyIssues() {
        Set<BigInteger> serials = new HashSet<>();
        serials.add(ca.certificate().getSerialNumber());
        int issues = 300;

        for (int i = 0; i < issues; i++) {
            BigInteger serial = issue(ca, Duration.ofDays(1)).getSerialNumber();
            assertThat(serial.signum()).isPositive();
            assertThat(serial.bitLength()).isLessThanOrEqualTo(159); // RFC 5280: at most 20 octets
            serials.add(serial);
        }

        assertThat(serials).hasSize(issues + 1);
    }

    @Test
    void theCoreIdentityIsNeverIssuedToAComponent() {
        assertThatThrownBy(() -> ca.issueComponent(request, PeerIdentity.core(), List.of(), Duration.ofDays(7)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("issueCore");
    }

    @Test
    void aLifetimeMustBePositiveAndWithinTheCas() {
        for (Duration lifetime : List.of(Duration.ZERO, Duration.ofSeconds(-1), Duration.ofDays(-7),
                CertificateAuthority.CA_LIFETIME.plusSeconds(1))) {
            assertThatThrownBy(() -> issue(ca, lifetime)).as("lifetime %s", lifetime)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("lifetime");
            assertThatThrownBy(() -> ca.issueCore(lifetime)).as("core lifetime %s", lifetime)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aComponentCertificateIsAcceptedByAPeerVerifierPinningTheCaAsAServerOnly() throws Exception {
        X509Certificate[] chain = {issue(ca, Duration.ofDays(7)), ca.certificate()};
        PeerVerifier verifier = new PeerVerifier(ca.certificate(), CLOCK);

        assertThat(verifier.verifyServer(chain)).isEqualTo(GATEWAY);
        assertThatThrownBy(() -> verifier.verifyClient(chain)).isInstanceOf(PeerRejectedException.class);
    }

    // --- core's certificate ---

    @Test
    void coresCertificateIsForTlsClientUseWithTheCoreIdentity() throws Exception {
        KeyMaterial core = ca.issueCore(Duration.ofDays(7));
        X509Certificate leaf = core.leaf();

        assertThat(leaf.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
        assertThat(sans(leaf, SAN_URI)).containsExactly(PeerIdentity.core().uri());
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(7)));
        assertThat(core.chain()).containsExactly(leaf, ca.certificate());
        assertThat(signsFor(core.privateKey(), leaf.getPublicKey())).isTrue();
        PeerVerifier verifier = new PeerVerifier(ca.certificate(), CLOCK);
        assertThat(verifier.verifyClient(core.chain())).isEqualTo(PeerIdentity.core());
        assertThatThrownBy(() -> verifier.verifyServer(core.chain())).isInstanceOf(PeerRejectedException.class);
    }

    @Test
    void everyCoreCertificateHasItsOwnKey() {
        assertThat(ca.issueCore(Duration.ofDays(1)).leaf().getPublicKey())
                .isNotEqualTo(ca.issueCore(Duration.ofDays(1)).leaf().getPublicKey());
    }

    // --- the CA itself and its sealed key ---

    @Test
    void theCaCertificateIsASelfSignedCaThatOnlySignsCertificates() throws Exception {
        X509Certificate certificate = ca.certificate();

        certificate.verify(certificate.getPublicKey());
        assertThat(certificate.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(certificate.getKeyUsage()[5]).as("keyCertSign").isTrue();
        assertThat(certificate.getKeyUsage()[0]).as("digitalSignature").isFalse();
        assertThat(certificate.getNotAfter().toInstant()).isEqualTo(NOW.plus(CertificateAuthority.CA_LIFETIME));
    }

    @Test
    void aRestoredCaSignsCertificatesThatVerifyUnderTheOriginalCaCertificate() throws Exception {
        MasterKey masterKey = MasterKey.generate();
        byte[] sealed = ca.sealedKey(new Sealer(masterKey));

        CertificateAuthority restored = CertificateAuthority.restore(ca.certificate(), sealed,
                new Sealer(MasterKey.fromBytes(masterKey.bytes())), CLOCK);
        X509Certificate certificate = issue(restored, Duration.ofDays(7));

        assertThat(restored.certificate()).isEqualTo(ca.certificate());
        certificate.verify(ca.certificate().getPublicKey());
        assertThat(new PeerVerifier(ca.certificate(), CLOCK).verifyServer(new X509Certificate[] {certificate}))
                .isEqualTo(GATEWAY);
    }

    @Test
    void theSealedKeyDoesNotOpenUnderAnotherMasterKey() {
        byte[] sealed = ca.sealedKey(sealer());

        assertThatThrownBy(() -> CertificateAuthority.restore(ca.certificate(), sealed, sealer(), CLOCK))
                .isInstanceOf(Sealer.UnsealException.class);
    }

    @Test
    void aSealedSecretOfAnotherPurposeIsNotACaKey() {
        Sealer sealer = sealer();
        byte[] sealedOtherSecret = sealer.seal("portcullis/totp/v1", new byte[32]);

        assertThatThrownBy(() -> CertificateAuthority.restore(ca.certificate(), sealedOtherSecret, sealer, CLOCK))
                .isInstanceOf(Sealer.UnsealException.class);
    }

    @Test
    void aCaIsNotRestoredFromAKeyThatDoesNotBelongToItsCertificate() {
        Sealer sealer = sealer();
        CertificateAuthority other = CertificateAuthority.create("Portcullis test CA", CLOCK);
        byte[] otherKey = other.sealedKey(sealer);

        assertThatThrownBy(() -> CertificateAuthority.restore(ca.certificate(), otherKey, sealer, CLOCK))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong to");
    }

    @Test
    void theSealedKeyDoesNotContainThePrivateKey() throws Exception {
        Sealer sealer = sealer();
        byte[] sealed = ca.sealedKey(sealer);
        byte[] pkcs8 = sealer.open(CA_KEY_PURPOSE, sealed);
        ECPrivateKey key = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));

        assertThat(signsFor(key, ca.certificate().getPublicKey())).as("the sealed key is the CA key").isTrue();
        assertThat(Bytes.indexOf(sealed, pkcs8)).isEqualTo(-1);
        assertThat(Bytes.indexOf(sealed, scalar(key))).isEqualTo(-1);
    }

    @Test
    void toStringNeverShowsTheKey() throws Exception {
        Sealer sealer = sealer();
        byte[] pkcs8 = sealer.open(CA_KEY_PURPOSE, ca.sealedKey(sealer));
        ECPrivateKey key = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        String shown = ca.toString();

        assertThat(shown).contains("Portcullis test CA").contains("redacted")
                .doesNotContain(Base64.getEncoder().encodeToString(pkcs8))
                .doesNotContainIgnoringCase(HexFormat.of().formatHex(scalar(key)))
                .doesNotContain(key.getS().toString())
                .doesNotContain(key.getS().toString(16));
    }

    private static Sealer sealer() {
        return new Sealer(MasterKey.generate());
    }

    private static byte[] scalar(ECPrivateKey key) {
        byte[] s = key.getS().toByteArray();
        byte[] fixed = new byte[32];
        int copy = Math.min(s.length, 32);
        System.arraycopy(s, s.length - copy, fixed, 32 - copy, copy);
        return fixed;
    }

    private static boolean signsFor(PrivateKey key, PublicKey publicKey) throws Exception {
        byte[] message = {1, 2, 3};
        Signature signer = Signature.getInstance(KeyPairs.SIGNATURE_ALGORITHM);
        signer.initSign(key);
        signer.update(message);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(KeyPairs.SIGNATURE_ALGORITHM);
        verifier.initVerify(publicKey);
        verifier.update(message);
        return verifier.verify(signature);
    }
}
