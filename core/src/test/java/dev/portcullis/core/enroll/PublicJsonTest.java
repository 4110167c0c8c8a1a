package dev.portcullis.core.enroll;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The request records that carry secrets never print them. */
class PublicJsonTest {

    private static final String SECRET = "7AGkvzUZEFM2vBQ7VN9XEIEeD-CvNJ1TBSKqrz8BeN8";

    @Test
    void aTokenRequestDoesNotPrintItsToken() {
        // Regression: the record's generated toString printed the invite or reset token.
        assertThat(new PublicJson.TokenRequest(SECRET).toString()).doesNotContain(SECRET);
    }

    @Test
    void passwordAndCodeRequestsDoNotPrintTheirSecrets() {
        assertThat(new PublicJson.PasswordRequest(SECRET.toCharArray()).toString()).doesNotContain(SECRET);
        assertThat(new PublicJson.ResetPasswordRequest(SECRET.toCharArray(), "123456").toString())
                .doesNotContain(SECRET).doesNotContain("123456");
        assertThat(new PublicJson.TotpConfirmRequest("123456").toString()).doesNotContain("123456");
    }
}
