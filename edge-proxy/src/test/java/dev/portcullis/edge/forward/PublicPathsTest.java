package dev.portcullis.edge.forward;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PublicPathsTest {

    @ParameterizedTest
    @ValueSource(strings = {"/api/x", "/api/v1/users/abc", "/enroll/", "/enroll/tok-en_1.2", "/api/a%20b", "/api/.well-known"})
    void plainPathsUnderTheForwardedPrefixesAreForwarded(String path) {
        assertThat(PublicPaths.isForwarded(path)).isTrue();
        assertThat(PublicPaths.isAmbiguous(path)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/api", "/apix/y", "/enroll", "/healthz", "/admin/api/x"})
    void otherPathsAreNotForwarded(String path) {
        assertThat(PublicPaths.isForwarded(path)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/../admin", "/api/./x", "/api/%2e%2e/admin", "/api/%2E./x", "/api/..%2fadmin", "/api/a%2Fb",
        "/api/a\\b", "/api/a%5cb", "/api/%00", "/api/%zz", "/api/%4", "/api/x/.."})
    void pathsThatCouldMeanAnotherPathAfterDecodingAreAmbiguous(String path) {
        assertThat(PublicPaths.isAmbiguous(path)).isTrue();
    }
}
