package dev.portcullis.enrollment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.enrollment.device.DeviceCredentialKey;
import dev.portcullis.enrollment.device.DeviceName;
import dev.portcullis.enrollment.password.PasswordHasher;
import dev.portcullis.enrollment.password.PasswordRules;
import dev.portcullis.enrollment.recovery.RecoveryCode;
import dev.portcullis.enrollment.recovery.RecoveryCodes;
import dev.portcullis.enrollment.token.InviteToken;
import dev.portcullis.enrollment.token.ResetToken;
import dev.portcullis.enrollment.token.SessionSecret;
import dev.portcullis.enrollment.totp.Totp;
import dev.portcullis.enrollment.totp.TotpSecret;
import java.lang.reflect.Method;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The library as core calls it: from another package, with only the public API. */
class PublicApiTest {

    @Test
    void tokenMethodsInheritedFromThePackagePrivateBaseAreReachableReflectively() throws Exception {
        // Regression: with final methods in the package-private base, javac emitted no public bridges
        // and Method.invoke from another package threw IllegalAccessException.
        for (Object secret : List.of(InviteToken.mint(), ResetToken.mint(), SessionSecret.mint())) {
            Method reveal = secret.getClass().getMethod("reveal");
            Method sha256 = secret.getClass().getMethod("sha256");
            Method matchesHash = secret.getClass().getMethod("matchesHash", byte[].class);
            assertThat((String) reveal.invoke(secret)).hasSize(43);
            assertThat((Boolean) matchesHash.invoke(secret, sha256.invoke(secret))).isTrue();
            assertThat(secret.getClass().getMethod("toString").invoke(secret).toString()).endsWith("[<redacted>]");
        }
    }

    @Test
    void anInviteIsMintedStoredAsAHashAndRedeemedOnce() {
        InviteToken minted = InviteToken.mint();
        byte[] storedHash = minted.sha256();                  // core's row
        String link = "https://vpn.example.com/enroll/" + minted.reveal();
        String fromBrowser = link.substring(link.lastIndexOf('/') + 1);
        Optional<InviteToken> presented = InviteToken.parse(fromBrowser);
        assertThat(presented).hasValueSatisfying(t -> assertThat(t.matchesHash(storedHash)).isTrue());
    }

    @Test
    void aPasswordIsCheckedHashedAndVerifiedWithThePublicApi() {
        char[] password = "violet tractor lantern moss".toCharArray();
        assertThat(PasswordRules.problem(password, List.of("alice", "alice@example.com"))).isEmpty();
        String phc = PasswordHasher.hash(password);
        assertThat(PasswordHasher.verify(password, phc)).isTrue();
        assertThat(PasswordHasher.needsRehash(phc)).isFalse();
    }

    @Test
    void theOtherStepsAreUsableFromOutsideTheirPackages() throws Exception {
        TotpSecret secret = TotpSecret.generate();
        assertThat(Totp.otpauthUri(secret, "Portcullis", "alice").toString()).startsWith("otpauth://totp/Portcullis:alice?");
        assertThat(Totp.matchingStep(secret, "12345", Instant.now())).isEmpty();
        List<RecoveryCode> codes = RecoveryCodes.generate();
        assertThat(RecoveryCodes.hashOfTyped(codes.get(0).reveal())).isPresent();
        assertThat(DeviceName.problem("alice-laptop")).isEmpty();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        String spki = Base64.getEncoder().encodeToString(generator.generateKeyPair().getPublic().getEncoded());
        assertThat(DeviceCredentialKey.fromBase64Spki(spki).fingerprint()).hasSize(64);
    }
}
