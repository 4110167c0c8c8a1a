package dev.portcullis.enrollment.token;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BearerSecretTest {

    @Test
    void mintedTokenIs32RandomBytesShownAs43Base64urlCharacters() {
        InviteToken token = InviteToken.mint();
        String text = token.reveal();
        assertThat(text).hasSize(43).matches("[A-Za-z0-9_-]{43}");
        assertThat(Base64.getUrlDecoder().decode(text)).hasSize(32);
    }

    @Test
    void mintedTokensDiffer() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            assertThat(seen.add(SessionSecret.mint().reveal())).isTrue();
        }
    }

    @Test
    void revealedTextParsesBackToAnEqualToken() {
        InviteToken token = InviteToken.mint();
        Optional<InviteToken> parsed = InviteToken.parse(token.reveal());
        assertThat(parsed).contains(token);
        assertThat(parsed.get().reveal()).isEqualTo(token.reveal());
        ResetToken reset = ResetToken.mint();
        assertThat(ResetToken.parse(reset.reveal())).contains(reset);
        SessionSecret session = SessionSecret.mint();
        assertThat(SessionSecret.parse(session.reveal())).contains(session);
    }

    @Test
    void storedHashIsSha256OfTheRawBytes() throws Exception {
        InviteToken token = InviteToken.mint();
        byte[] raw = Base64.getUrlDecoder().decode(token.reveal());
        assertThat(token.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(raw));
    }

    @Test
    void storedHashMatchesOnlyTheSameToken() {
        InviteToken token = InviteToken.mint();
        byte[] stored = token.sha256();
        assertThat(InviteToken.parse(token.reveal()).orElseThrow().matchesHash(stored)).isTrue();
        assertThat(InviteToken.mint().matchesHash(stored)).isFalse();
    }

    @Test
    void matchesHashRefusesMissingOrWrongLengthHashes() {
        InviteToken token = InviteToken.mint();
        byte[] stored = token.sha256();
        assertThat(token.matchesHash(null)).isFalse();
        assertThat(token.matchesHash(new byte[0])).isFalse();
        assertThat(token.matchesHash(Arrays.copyOf(stored, 31))).isFalse();
        assertThat(token.matchesHash(Arrays.copyOf(stored, 33))).isFalse();
    }

    @Test
    void sha256ReturnsACopyTheCallerCannotUseToAlterTheToken() {
        InviteToken token = InviteToken.mint();
        byte[] first = token.sha256();
        first[0] ^= 1;
        assertThat(token.sha256()).isNotEqualTo(first);
        assertThat(token.matchesHash(token.sha256())).isTrue();
    }

    @Test
    void parseRefusesEverythingButTheCanonicalText() {
        String good = InviteToken.mint().reveal();
        assertThat(InviteToken.parse(null)).isEmpty();
        assertThat(InviteToken.parse("")).isEmpty();
        assertThat(InviteToken.parse(good.substring(1))).isEmpty();              // 42 characters
        assertThat(InviteToken.parse(good + "A")).isEmpty();                    // 44 characters
        assertThat(InviteToken.parse(good + "=")).isEmpty();                    // padding
        assertThat(InviteToken.parse(" " + good.substring(1))).isEmpty();       // whitespace
        assertThat(InviteToken.parse(good.substring(0, 42) + "+")).isEmpty();   // standard, not url alphabet
        assertThat(InviteToken.parse(good.substring(0, 42) + "/")).isEmpty();
        assertThat(InviteToken.parse(good.substring(0, 42) + "é")).isEmpty();
        assertThat(InviteToken.parse("%".repeat(43))).isEmpty();
    }

    @Test
    void parseRefusesNonCanonicalTrailingBitsSoOneTokenHasOneText() {
        // 'A' ends in 2 zero bits; 'B' sets the lowest of the 2 bits that do not belong to the 32 bytes.
        String canonical = "A".repeat(43);
        assertThat(InviteToken.parse(canonical)).isPresent();
        assertThat(InviteToken.parse("A".repeat(42) + "B")).isEmpty();
        assertThat(InviteToken.parse("A".repeat(42) + "D")).isEmpty();
        assertThat(InviteToken.parse("A".repeat(42) + "E")).isPresent();
    }

    @Test
    void parseNeverThrowsOnHostileInput() {
        String[] hostile = {"\u0000".repeat(43), "\uD800".repeat(43), "A".repeat(10_000_000), "../../etc/passwd",
                "=".repeat(43), "-".repeat(43), "_".repeat(43), "\n".repeat(43)};
        for (String input : hostile) {
            InviteToken.parse(input);
            ResetToken.parse(input);
            SessionSecret.parse(input);
        }
        assertThat(InviteToken.parse("A".repeat(10_000_000))).isEmpty();
    }

    @Test
    void toStringNeverRevealsTheSecret() {
        InviteToken invite = InviteToken.mint();
        ResetToken reset = ResetToken.mint();
        SessionSecret session = SessionSecret.mint();
        assertThat(invite.toString()).isEqualTo("InviteToken[<redacted>]").doesNotContain(invite.reveal());
        assertThat(reset.toString()).isEqualTo("ResetToken[<redacted>]").doesNotContain(reset.reveal());
        assertThat(session.toString()).isEqualTo("SessionSecret[<redacted>]").doesNotContain(session.reveal());
        assertThat(String.valueOf(Optional.of(invite))).doesNotContain(invite.reveal());
    }

    @Test
    void hashCodeDoesNotDependOnTheSecret() {
        assertThat(InviteToken.mint().hashCode()).isEqualTo(InviteToken.mint().hashCode());
    }

    @Test
    void aTokenOfOneRoleIsNeverEqualToAnotherRoleWithTheSameBytes() {
        String text = InviteToken.mint().reveal();
        InviteToken invite = InviteToken.parse(text).orElseThrow();
        ResetToken reset = ResetToken.parse(text).orElseThrow();
        SessionSecret session = SessionSecret.parse(text).orElseThrow();
        assertThat((Object) invite).isNotEqualTo(reset);
        assertThat((Object) reset).isNotEqualTo(session);
        assertThat((Object) session).isNotEqualTo(invite);
        assertThat(invite).isNotEqualTo(InviteToken.mint()).isNotEqualTo(null);
    }
}
