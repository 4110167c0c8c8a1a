package dev.portcullis.pki.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.URI;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InviteLinkTest {

    private static final String TOKEN = "q83vEjRWeJAS3q2-7_8AAQIDBAUGBwgJCgsMDQ4PEBE";
    private static final byte[] PIN = new byte[32];
    private static final String PIN_TEXT;

    static {
        for (int i = 0; i < PIN.length; i++) {
            PIN[i] = (byte) (i * 7 + 3);
        }
        PIN_TEXT = TrustAnchorPin.encode(PIN);
    }

    @Test
    void theTokenConstantIsAValidToken() {
        assertThat(TOKEN).hasSize(43);
        assertThat(Base64.getUrlDecoder().decode(TOKEN)).hasSize(32);
    }

    @Test
    void formatThenParseGivesTheSameLink() {
        InviteLink link = InviteLink.format(URI.create("https://access.example.com"), TOKEN, PIN);

        assertThat(link.toLinkString()).isEqualTo("https://access.example.com/enroll/" + TOKEN + "#ca=" + PIN_TEXT);
        InviteLink parsed = InviteLink.parse(link.toLinkString());
        assertThat(parsed.origin()).isEqualTo(URI.create("https://access.example.com"));
        assertThat(parsed.tokenText()).isEqualTo(TOKEN);
        assertThat(parsed.trustAnchorSha256()).isEqualTo(PIN);
        assertThat(parsed.toLinkString()).isEqualTo(link.toLinkString());
    }

    @Test
    void aPortAndATrailingSlashOnTheOriginAreKeptAndDropped() {
        InviteLink link = InviteLink.format(URI.create("https://127.0.0.1:8443/"), TOKEN, PIN);

        assertThat(link.origin()).isEqualTo(URI.create("https://127.0.0.1:8443"));
        assertThat(link.toLinkString()).startsWith("https://127.0.0.1:8443/enroll/");
        assertThat(InviteLink.parse(link.toLinkString()).origin().getPort()).isEqualTo(8443);
    }

    @Test
    void surroundingWhitespaceFromCopyAndPasteIsIgnoredAndTheHostIsLowerCased() {
        InviteLink link = InviteLink.parse("  https://Access.Example.com/enroll/" + TOKEN + "#ca=" + PIN_TEXT + "\n");

        assertThat(link.origin()).isEqualTo(URI.create("https://access.example.com"));
    }

    @Test
    void anIpv6LiteralOriginKeepsItsBrackets() {
        InviteLink link = InviteLink.parse("https://[::1]:8443/enroll/" + TOKEN + "#ca=" + PIN_TEXT);

        assertThat(link.origin()).isEqualTo(URI.create("https://[::1]:8443"));
        assertThat(InviteLink.parse(link.toLinkString()).origin()).isEqualTo(link.origin());
    }

    @Test
    void theTrustAnchorAccessorReturnsACopy() {
        InviteLink link = InviteLink.format(URI.create("https://access.example.com"), TOKEN, PIN);

        link.trustAnchorSha256()[0] ^= 1;

        assertThat(link.trustAnchorSha256()).isEqualTo(PIN);
    }

    @Test
    void toStringRedactsTheToken() {
        InviteLink link = InviteLink.parse("https://access.example.com/enroll/" + TOKEN + "#ca=" + PIN_TEXT);

        assertThat(link.toString()).doesNotContain(TOKEN).contains("<redacted>").contains("https://access.example.com");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://access.example.com/enroll/" + TOKEN + "#ca=PIN",
        "ftp://access.example.com/enroll/" + TOKEN + "#ca=PIN",
        "https://alice:secret@access.example.com/enroll/" + TOKEN + "#ca=PIN",
        "https://access.example.com/enroll/" + TOKEN + "?x=1#ca=PIN",
        "https://access.example.com/enroll/" + TOKEN + "/#ca=PIN",
        "https://access.example.com/reset/" + TOKEN + "#ca=PIN",
        "https://access.example.com/enroll/" + TOKEN + "A#ca=PIN",
        "https://access.example.com/enroll/" + TOKEN,
        "https://access.example.com/enroll/" + TOKEN + "#",
        "https://access.example.com/enroll/" + TOKEN + "#ca=",
        "https://access.example.com/enroll/" + TOKEN + "#ca=PIN&x=1",
        "https://access.example.com/enroll/" + TOKEN + "#pin=PIN",
        "https:///enroll/" + TOKEN + "#ca=PIN",
        "https://access.example.com:0/enroll/" + TOKEN + "#ca=PIN",
        "/enroll/" + TOKEN + "#ca=PIN",
        "access.example.com/enroll/" + TOKEN + "#ca=PIN",
        "https://access example.com/enroll/" + TOKEN + "#ca=PIN",
        "",
        "   "
    })
    void anythingButTheExactShapeIsRefusedWithoutRepeatingTheToken(String candidate) {
        Throwable thrown = catchThrowable(() -> InviteLink.parse(candidate.replace("PIN", PIN_TEXT)));

        assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
        assertThat(thrown.getMessage()).doesNotContain(TOKEN).doesNotContain(TOKEN.substring(0, 20));
    }

    @Test
    void aNonCanonicalTokenIsRefused() {
        String nonCanonical = TOKEN.substring(0, 42) + "F"; // last character's unused low bits set

        assertThatThrownBy(() -> InviteLink.parse("https://access.example.com/enroll/" + nonCanonical + "#ca=" + PIN_TEXT))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLinkWithoutThePinTellsTheUserToCopyTheWholeLink() {
        assertThatThrownBy(() -> InviteLink.parse("https://access.example.com/enroll/" + TOKEN))
                .hasMessageContaining("copy the whole link, including the part after '#'");
    }

    @Test
    void aLinkThatIsNotAnInviteSaysWhatShapeIsExpected() {
        assertThatThrownBy(() -> InviteLink.parse("hello"))
                .hasMessage("not a Portcullis invite link: expected https://<host>/enroll/<token>#ca=<pin>");
    }

    @Test
    void aHugeInputIsRefusedBeforeParsing() {
        assertThatThrownBy(() -> InviteLink.parse("https://a.example.com/" + "x".repeat(InviteLink.MAX_LINK_LENGTH)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatRefusesABadOriginTokenOrPin() {
        assertThatThrownBy(() -> InviteLink.format(URI.create("http://access.example.com"), TOKEN, PIN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InviteLink.format(URI.create("https://access.example.com/portal"), TOKEN, PIN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InviteLink.format(URI.create("https://access.example.com"), "short", PIN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("short");
        assertThatThrownBy(() -> InviteLink.format(URI.create("https://access.example.com"), TOKEN, new byte[20]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
