package dev.portcullis.core.publicapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PublicApiTest {

    /** Enrollment has its own tests; here it only has to be reached for its paths and no others. */
    private final PublicApi api = new PublicApi((request, edgeProxy) ->
            ProxyResponse.newBuilder().setStatus(299).build());
    private final ComponentRecord proxy = new ComponentRecord(UUID.randomUUID().toString(), "edge-1",
            PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443, true);

    @Test
    void pingAnswersWithTheServiceName() {
        ProxyResponse response = api.handle(request("GET", "/api/v1/ping"), proxy);

        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.getBody().toString(StandardCharsets.UTF_8)).isEqualTo("{\"service\":\"portcullis\"}");
        assertThat(response.getHeadersList()).anySatisfy(h -> {
            assertThat(h.getName()).isEqualTo("content-type");
            assertThat(h.getValue()).isEqualTo("application/json");
        });
        assertThat(api.handle(request("GET", "/api/v1/ping?x=1"), proxy).getStatus()).isEqualTo(200);
    }

    @Test
    void everythingElseIsANeutral404() {
        for (ProxyRequest request : new ProxyRequest[] {request("POST", "/api/v1/ping"), request("GET", "/api/v1/status"),
                request("GET", "/../admin"), request("", "")}) {
            ProxyResponse response = api.handle(request, proxy);
            assertThat(response.getStatus()).isEqualTo(404);
            assertThat(response.getBody().toString(StandardCharsets.UTF_8)).isEqualTo("{\"error\":\"not found\"}");
        }
    }

    @Test
    void enrollmentAndRecoveryPathsGoToTheEnrollmentHandler() {
        assertThat(api.handle(request("POST", "/api/v1/enroll/redeem"), proxy).getStatus()).isEqualTo(299);
        assertThat(api.handle(request("POST", "/api/v1/recovery/request?x=1"), proxy).getStatus()).isEqualTo(299);
        assertThat(api.handle(request("POST", "/api/v1/enrollment"), proxy).getStatus()).isEqualTo(404);
    }

    private static ProxyRequest request(String method, String path) {
        return ProxyRequest.newBuilder().setRequestId(1).setMethod(method).setPath(path).build();
    }
}
