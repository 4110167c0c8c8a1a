package dev.portcullis.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The locations part of the admin API over HTTP, with gateways faked at the link. */
class LocationApiTest {

    private static CoreUnderTest core;
    private static String token;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeAll
    static void startCore() throws Exception {
        core = CoreUnderTest.start();
        token = core.bootstrapToken();
    }

    @AfterAll
    static void stopCore() {
        core.close();
    }

    @BeforeEach
    void captureLogs() {
        logs.start();
        root.addAppender(logs);
        core.gatewayLinks().refusing.clear();
    }

    @AfterEach
    void releaseLogs() {
        root.detachAppender(logs);
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    private static String field(String json, String name) {
        return json.replaceAll("(?s).*\"" + name + "\":\"([^\"]*)\".*", "$1");
    }

    @Test
    void admitListAndEvictAPeer() throws Exception {
        core.adoptedGateway("gw-api-1", "berlin");
        String key = randomKey();

        HttpResponse<String> admitted = core.call("POST", "/api/v1/locations/berlin/peers", token,
                "{\"publicKey\":\"" + key + "\",\"allowedIps\":[\"10.80.0.2/32\"],\"lifetimeSeconds\":3600}");

        assertThat(admitted.statusCode()).as(admitted.body()).isEqualTo(201);
        String psk = field(admitted.body(), "presharedKey");
        assertThat(Base64.getDecoder().decode(psk)).hasSize(32);
        assertThat(admitted.body()).contains("\"name\":\"gw-api-1\",\"acknowledged\":true");
        String sessionId = field(admitted.body(), "sessionId");
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(line -> line.contains(psk))
                .contains("admin 'bootstrap' POST /api/v1/locations/berlin/peers -> 201");

        HttpResponse<String> listed = core.call("GET", "/api/v1/locations/berlin/peers", token, null);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).contains(key).contains(sessionId).doesNotContain(psk).doesNotContain("presharedKey");

        String urlKey = key.replace('+', '-').replace('/', '_');
        HttpResponse<String> evicted = core.call("DELETE", "/api/v1/locations/berlin/peers/" + urlKey, token, null);
        assertThat(evicted.statusCode()).as(evicted.body()).isEqualTo(200);
        assertThat(evicted.body()).contains(sessionId);
        assertThat(core.gatewayLinks().pushed).extracting(ConfigUpdate::getChangeCase)
                .contains(ConfigUpdate.ChangeCase.ADMIT, ConfigUpdate.ChangeCase.EVICT);

        HttpResponse<String> again = core.call("DELETE", "/api/v1/locations/berlin/peers/" + urlKey, token, null);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(again.body()).startsWith("{\"error\":\"peer ");
    }

    @Test
    void presharedKeyIsNotInTheAnswerWhenAGatewayDidNotAcknowledge() throws Exception {
        core.adoptedGateway("gw-api-2", "hamburg");
        String down = core.adoptedGateway("gw-api-3", "hamburg");
        core.gatewayLinks().refusing.add(down);

        HttpResponse<String> response = core.call("POST", "/api/v1/locations/hamburg/peers", token,
                "{\"publicKey\":\"" + randomKey() + "\",\"allowedIps\":[\"10.81.0.2/32\"]}");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).doesNotContain("presharedKey").contains("not admitted: gateway 'gw-api-3'")
                .contains("\"name\":\"gw-api-3\",\"acknowledged\":false,\"error\":\"component is not connected\"");
        assertThat(core.call("GET", "/api/v1/locations/hamburg/peers", token, null).body()).isEqualTo("[]");
    }

    @Test
    void badAdmissionsAre400AndUnknownLocationsAre404() throws Exception {
        core.adoptedGateway("gw-api-4", "munich");

        assertThat(core.call("POST", "/api/v1/locations/munich/peers", token, "{\"publicKey\":\"bm90IGEga2V5\","
                + "\"allowedIps\":[\"10.82.0.2/32\"]}").statusCode()).isEqualTo(400);
        HttpResponse<String> badIp = core.call("POST", "/api/v1/locations/munich/peers", token,
                "{\"publicKey\":\"" + randomKey() + "\",\"allowedIps\":[\"evil.example.com\"]}");
        assertThat(badIp.statusCode()).isEqualTo(400);
        assertThat(badIp.body()).contains("not an IP address or prefix");
        assertThat(core.call("POST", "/api/v1/locations/munich/peers", token,
                "{\"publicKey\":\"" + randomKey() + "\",\"allowedIps\":[\"10.82.0.2/32\"],\"lifetimeSeconds\":99999999}")
                .statusCode()).isEqualTo(400);
        assertThat(core.call("POST", "/api/v1/locations/munich/peers", token, "{}").statusCode()).isEqualTo(400);

        assertThat(core.call("GET", "/api/v1/locations/nowhere/peers", token, null).statusCode()).isEqualTo(404);
        assertThat(core.call("GET", "/api/v1/locations/nowhere/acl", token, null).statusCode()).isEqualTo(404);
        assertThat(core.call("POST", "/api/v1/locations/nowhere/peers", token,
                "{\"publicKey\":\"" + randomKey() + "\",\"allowedIps\":[\"10.82.0.2/32\"]}").statusCode()).isEqualTo(409);
        assertThat(core.call("GET", "/api/v1/locations/berlin/peers", null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void aclIsValidatedStoredWithARevisionAndShown() throws Exception {
        core.adoptedGateway("gw-api-5", "vienna");
        String policy = "{\"rules\":[{\"sources\":[\"10.83.0.0/24\"],\"destinations\":[\"192.168.83.0/24\"],"
                + "\"protocol\":\"tcp\",\"ports\":[\"443\",\"8000-8080\"]}],\"masqueradeDestinations\":[\"192.168.83.0/24\"]}";

        HttpResponse<String> first = core.call("PUT", "/api/v1/locations/vienna/acl", token, policy);
        HttpResponse<String> second = core.call("PUT", "/api/v1/locations/vienna/acl", token, policy);

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(first.body()).contains("\"revision\":1");
        assertThat(second.body()).contains("\"revision\":2").contains("\"name\":\"gw-api-5\",\"acknowledged\":true");
        HttpResponse<String> shown = core.call("GET", "/api/v1/locations/vienna/acl", token, null);
        assertThat(shown.body()).contains("\"revision\":2").contains("\"ports\":[\"443\",\"8000-8080\"]")
                .contains("\"protocol\":\"tcp\"");

        HttpResponse<String> bad = core.call("PUT", "/api/v1/locations/vienna/acl", token,
                "{\"rules\":[{\"sources\":[\"10.83.0.0/24\"],\"destinations\":[\"0.0.0.0/0\"],\"protocol\":\"icmp\",\"ports\":[\"80\"]}]}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("ports apply only to tcp or udp");
        assertThat(core.call("GET", "/api/v1/locations/vienna/acl", token, null).body()).contains("\"revision\":2");
    }

    @Test
    void gatewayTunnelSettingsAreSetThroughTheComponentApi() throws Exception {
        core.adoptedGateway("gw-api-6", "oslo");

        HttpResponse<String> set = core.call("PUT", "/api/v1/components/gw-api-6/settings", token,
                "{\"tunnelAddresses\":[\"10.84.0.1/24\",\"FD00:84::1/64\"],\"mtu\":1380}");

        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(set.body()).contains("\"tunnelAddresses\":[\"10.84.0.1/24\",\"fd00:84::1/64\"]").contains("\"mtu\":1380");
        ConfigUpdate update = core.links().updates.get(core.links().updates.size() - 1);
        assertThat(update.getGateway().getWireguard().getAddressesList()).containsExactly("10.84.0.1/24", "fd00:84::1/64");
        assertThat(core.call("PUT", "/api/v1/components/gw-api-6/settings", token, "{\"mtu\":1000}").statusCode())
                .isEqualTo(400);
        assertThat(core.call("PUT", "/api/v1/components/gw-api-6/settings", token,
                "{\"tunnelAddresses\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}").statusCode()).isEqualTo(400);
    }
}
