package dev.portcullis.edge.forward;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PublicPathsTest {

    @ParameterizedTest
    @ValueSource(strings = {"/api/x", "/api/v1/users/abc", "/api/v1/enroll/redeem", "/api/a%20b", "/api/.well-known"})
    void plainPathsUnderTheForwardedPrefixesAreForwarded(String path) {
        assertThat(PublicPaths.isForwarded(path)).isTrue();
        assertThat(PublicPaths.isAmbiguous(path)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/api", "/apix/y", "/enroll", "/enroll/", "/enroll/tok-en_1.2", "/reset/x", "/forgot",
        "/mfa/q3Yx0Zr8S1mN4bT7vW2cE5hJ9kL6pA0dF3gH8iK1oUs", "/assets/enroll.js", "/healthz", "/admin/api/x"})
    void otherPathsAreNotForwarded(String path) {
        assertThat(PublicPaths.isForwarded(path)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/../admin", "/api/./x", "/api/%2e%2e/admin", "/api/%2E./x", "/api/..%2fadmin", "/api/a%2Fb",
        "/api/a\\b", "/api/a%5cb", "/api/%00", "/api/%zz", "/api/%4", "/api/x/..", "/api/%c0%ae%c0%ae/x", "/enroll/%ff"})
    void pathsThatCouldMeanAnotherPathAfterDecodingAreAmbiguous(String path) {
        assertThat(PublicPaths.isAmbiguous(path)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/enroll/SECRETTOKEN", "/reset/SECRETTOKEN", "/enroll/SECRETTOKEN/more?x=1", "/%65nroll/SECRETTOKEN",
        "/ENROLL/SECRETTOKEN", "/Reset/SECRETTOKEN", "/enroll/SECRET%TOKEN", "/mfa/SECRETTOKEN", "/MFA/SECRETTOKEN",
        "/%6dfa/SECRETTOKEN", "/mfa/SECRETTOKEN/extra?x=1", "/mfa/SECRET%TOKEN"})
    void aLogLineNeverShowsTheTokenOfAnInviteResetOrMfaLink(String path) {
        assertThat(PublicPaths.forLog(path)).doesNotContain("SECRET").doesNotContain("TOKEN").endsWith(PublicPaths.REDACTED);
    }

    @Test
    void aLogLineShowsOtherPathsWithoutQueryControlCharactersOrExcessLength() {
        assertThat(PublicPaths.forLog("/api/v1/enroll/redeem?token=SECRET")).isEqualTo("/api/v1/enroll/redeem");
        assertThat(PublicPaths.forLog("/enroll/")).isEqualTo("/enroll/");
        assertThat(PublicPaths.forLog("/mfa/")).isEqualTo("/mfa/");
        assertThat(PublicPaths.forLog("/mfa/q3Yx0Zr8S1mN4bT7vW2cE5hJ9kL6pA0dF3gH8iK1oUs")).isEqualTo("/mfa/<redacted>");
        assertThat(PublicPaths.forLog("/assets/enroll.js")).isEqualTo("/assets/enroll.js");
        assertThat(PublicPaths.forLog("/x\u0001y")).isEqualTo("/x?y");
        assertThat(PublicPaths.forLog("/" + "a".repeat(500))).hasSize(PublicPaths.MAX_LOGGED_PATH_LENGTH + 3).endsWith("...");
    }
}
