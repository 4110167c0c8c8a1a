package dev.portcullis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class StatusCommandTest {

    private static final String ANSWERS = "correct horse battery staple\ncorrect horse battery staple\n" + FakeProxy.GOOD_CODE + "\n";

    @TempDir
    Path home;

    @Test
    void statusShowsTheUserDeviceAndLocationsOfTheEnrollmentWithoutContactingTheProxy() throws Exception {
        try (FakeProxy proxy = new FakeProxy()) {
            assertThat(AgentRun.run(home, ANSWERS, "enroll", proxy.invite(), "--device-name", "alice-laptop").exitCode()).isZero();
            int requests = proxy.requests().size();

            AgentRun run = AgentRun.run(home, "", "status");

            assertThat(run.exitCode()).as(run.all()).isZero();
            assertThat(run.stdout()).contains("Alice Example <alice@example.com> (alice)")
                    .contains("alice-laptop")
                    .contains("office: address 10.8.0.2/32, routes 10.8.0.0/24 192.168.50.0/24, dns 10.8.0.1, mtu 1420")
                    .contains("gateway 203.0.113.7:51820")
                    .contains(proxy.origin().toString());
            assertThat(proxy.requests()).hasSize(requests);
        }
    }

    @Test
    void statusJsonIsOneParsableObject() throws Exception {
        try (FakeProxy proxy = new FakeProxy()) {
            assertThat(AgentRun.run(home, ANSWERS, "enroll", proxy.invite()).exitCode()).isZero();

            AgentRun run = AgentRun.run(home, "", "status", "--json");

            assertThat(run.exitCode()).isZero();
            JsonNode status = new ObjectMapper().readTree(run.stdout());
            assertThat(status.path("user").path("name").asText()).isEqualTo("alice");
            assertThat(status.path("device").path("id").asText()).isNotBlank();
            assertThat(status.path("locations")).hasSize(1);
            assertThat(status.path("wireguardPublicKey").asText()).hasSize(44);
        }
    }

    @Test
    void statusOfADeviceThatIsNotEnrolledSaysHowToEnroll() {
        AgentRun run = AgentRun.run(home, "", "status");

        assertThat(run.exitCode()).isEqualTo(6);
        assertThat(run.stderr()).contains("this device is not enrolled").contains("portcullis-agent enroll");
    }
}
