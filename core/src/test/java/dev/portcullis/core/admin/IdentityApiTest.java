package dev.portcullis.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.component.EdgeProxyReports;
import dev.portcullis.core.identity.DeviceKind;
import dev.portcullis.core.identity.Devices;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.store.Database;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Users, groups, explicit locations, invites and devices through the admin API over HTTP. */
class IdentityApiTest {

    private static CoreUnderTest core;
    private static String token;

    @BeforeAll
    static void startCore() throws Exception {
        core = CoreUnderTest.start();
        token = core.bootstrapToken();
    }

    @AfterAll
    static void stopCore() {
        core.close();
    }

    private static HttpResponse<String> call(String method, String path, String json) throws Exception {
        return core.call(method, path, token, json);
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** Registers a device for the user directly (as enrollment does), with addresses at the given explicit locations. */
    private static void device(String user, String name, String key, String... locations) {
        Locations explicit = core.context.getBean(Locations.class);
        Devices devices = core.context.getBean(Devices.class);
        UUID userId = UUID.fromString(core.context.getBean(Users.class).byName(user).orElseThrow().id());
        core.context.getBean(Database.class).inTransaction(c -> devices.register(c, userId, user,
                new Devices.NewDevice(name, DeviceKind.CONFIG, dev.portcullis.pki.wireguard.WireGuardPublicKey.fromBase64(key),
                        Optional.empty()),
                java.util.Arrays.stream(locations).map(l -> explicit.byName(l).orElseThrow()).toList(),
                Actor.user(user, "-")));
    }

    private static void admit(String location, String key, String address) throws Exception {
        HttpResponse<String> admitted = call("POST", "/api/v1/locations/" + location + "/peers",
                "{\"publicKey\":\"" + key + "\",\"allowedIps\":[\"" + address + "\"]}");
        assertThat(admitted.statusCode()).as(admitted.body()).isEqualTo(201);
    }

    private static boolean evictedFromGateways(String key) {
        return core.gatewayLinks().pushed.stream().anyMatch(u -> u.getChangeCase() == ConfigUpdate.ChangeCase.EVICT
                && Base64.getEncoder().encodeToString(u.getEvict().getPublicKey().toByteArray()).equals(key));
    }

    @Test
    void usersAndGroupsAreCreatedListedAndShown() throws Exception {
        assertThat(call("POST", "/api/v1/groups", "{\"name\":\"ops\"}").statusCode()).isEqualTo(201);

        HttpResponse<String> created = call("POST", "/api/v1/users",
                "{\"name\":\"carol\",\"email\":\"Carol@Example.com\",\"displayName\":\"Carol C\",\"groups\":[\"ops\"]}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.body()).contains("\"name\":\"carol\"").contains("\"email\":\"carol@example.com\"")
                .contains("\"state\":\"INVITED\"").contains("\"groups\":[\"ops\"]").doesNotContain("password");
        assertThat(call("POST", "/api/v1/users", "{\"name\":\"carol\",\"email\":\"c2@example.com\"}").statusCode()).isEqualTo(409);
        assertThat(call("POST", "/api/v1/users", "{\"name\":\"dave\",\"email\":\"carol@example.com\"}").body())
                .contains("another user already has the e-mail address carol@example.com");
        assertThat(call("POST", "/api/v1/users", "{\"name\":\"Bad Name\",\"email\":\"b@example.com\"}").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/api/v1/users", "{\"name\":\"erin\",\"email\":\"e@example.com\",\"groups\":[\"nope\"]}").body())
                .contains("no group named 'nope'");
        assertThat(call("GET", "/api/v1/users", null).body()).contains("\"name\":\"carol\"").doesNotContain("\"name\":\"erin\"");
        HttpResponse<String> shown = call("GET", "/api/v1/users/carol", null);
        assertThat(shown.body()).contains("\"passwordSet\":false").contains("\"totp\":false").contains("\"recoveryCodesLeft\":0");
        assertThat(call("GET", "/api/v1/users/nobody", null).statusCode()).isEqualTo(404);

        assertThat(call("PUT", "/api/v1/groups/ops/members/carol", null).statusCode()).isEqualTo(200);
        assertThat(call("POST", "/api/v1/users", "{\"name\":\"frank\",\"email\":\"f@example.com\"}").statusCode()).isEqualTo(201);
        assertThat(call("PUT", "/api/v1/groups/ops/members/frank", null).body()).contains("\"members\":[\"carol\",\"frank\"]");
        assertThat(call("DELETE", "/api/v1/groups/ops/members/carol", null).body()).contains("\"members\":[\"frank\"]");
        assertThat(call("DELETE", "/api/v1/groups/ops/members/carol", null).statusCode()).isEqualTo(404);
        assertThat(call("GET", "/api/v1/groups", null).body()).contains("\"name\":\"ops\"");
        assertThat(call("DELETE", "/api/v1/groups/ops", null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/users/frank", null).body()).contains("\"groups\":[]");
    }

    @Test
    void explicitLocationsAreValidatedStoredAndShownAndImplicitOnesKeepWorking() throws Exception {
        call("POST", "/api/v1/groups", "{\"name\":\"berlin-staff\"}");

        HttpResponse<String> created = call("POST", "/api/v1/locations", "{\"name\":\"berlin\",\"addressPool\":\"10.8.0.0/24\","
                + "\"dns\":[\"10.8.0.1\"],\"routedNetworks\":[\"192.168.50.0/24\"],\"mfaMethods\":[\"webauthn\"],"
                + "\"sessionLifetimeSeconds\":3600,\"idleTimeoutSeconds\":300,\"groups\":[\"berlin-staff\"]}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.body()).contains("\"addressPool\":\"10.8.0.0/24\"").contains("\"mfaMethods\":[\"webauthn\"]")
                .contains("\"sessionLifetimeSeconds\":3600").contains("\"idleTimeoutSeconds\":300")
                .contains("\"groups\":[\"berlin-staff\"]");
        assertThat(call("POST", "/api/v1/locations", "{\"name\":\"berlin\",\"addressPool\":\"10.9.0.0/24\"}").statusCode())
                .isEqualTo(409);
        HttpResponse<String> tooBig = call("POST", "/api/v1/locations", "{\"name\":\"huge\",\"addressPool\":\"10.0.0.0/8\"}");
        assertThat(tooBig.statusCode()).isEqualTo(400);
        assertThat(tooBig.body()).contains("must be an IPv4 network from /16 to /30");
        assertThat(call("POST", "/api/v1/locations", "{\"name\":\"x\",\"addressPool\":\"10.8.0.1/24\"}").body())
                .contains("has host bits set");
        assertThat(call("POST", "/api/v1/locations", "{\"name\":\"x\",\"addressPool\":\"10.7.0.0/24\",\"mfaMethods\":[\"sms\"]}")
                .body()).contains("mfa methods are 'totp' and 'webauthn'");
        assertThat(call("GET", "/api/v1/locations", null).body()).contains("\"name\":\"berlin\"").doesNotContain("huge");
        HttpResponse<String> shown = call("GET", "/api/v1/locations/berlin", null);
        assertThat(shown.body()).contains("\"devices\":0").contains("\"gateways\":[]");
        HttpResponse<String> groupInUse = call("DELETE", "/api/v1/groups/berlin-staff", null);
        assertThat(groupInUse.statusCode()).as("deleting it would open berlin to everyone").isEqualTo(409);
        assertThat(groupInUse.body()).contains("group 'berlin-staff' decides who may reach location(s) berlin");

        assertThat(call("GET", "/api/v1/locations/berlin/acl", null).statusCode()).as("an explicit location is known").isEqualTo(200);
        core.adoptedGateway("gw-implicit", "lisbon");
        assertThat(call("GET", "/api/v1/locations/lisbon/peers", null).statusCode()).as("implicit locations still work")
                .isEqualTo(200);
        HttpResponse<String> implicit = call("GET", "/api/v1/locations/lisbon", null);
        assertThat(implicit.statusCode()).isEqualTo(404);
        assertThat(implicit.body()).contains("portcullis-admin location add lisbon --pool CIDR");
    }

    @Test
    void anInviteLinkIsShownOnceInTheAnswerAndNowhereElse() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        try {
            call("POST", "/api/v1/users", "{\"name\":\"gina\",\"email\":\"gina@example.com\"}");
            HttpResponse<String> noEdge = call("POST", "/api/v1/users/gina/invites", "{}");
            assertThat(noEdge.statusCode()).isEqualTo(409);

            call("POST", "/api/v1/components", "{\"name\":\"edge-api\",\"role\":\"edge-proxy\",\"address\":\"127.0.0.1:7443\"}");
            call("PUT", "/api/v1/components/edge-api/settings", "{\"publicOrigin\":\"https://vpn.example.net\"}");
            String edgeId = core.context.getBean(ComponentRegistry.class).byName("edge-api").orElseThrow().id();
            byte[] pin = new byte[32];
            new SecureRandom().nextBytes(pin);
            core.context.getBean(EdgeProxyReports.class).record(edgeId, pin, Instant.now());

            HttpResponse<String> invited = call("POST", "/api/v1/users/gina/invites", "{\"expiresInSeconds\":7200,\"via\":\"edge-api\"}");

            assertThat(invited.statusCode()).as(invited.body()).isEqualTo(201);
            String link = invited.body().replaceAll("(?s).*\"link\":\"([^\"]*)\".*", "$1");
            assertThat(link).matches("https://vpn\\.example\\.net/enroll/[A-Za-z0-9_-]{43}#ca=[A-Za-z0-9_-]{43}");
            String secret = link.substring(link.indexOf("/enroll/") + 8, link.indexOf('#'));
            assertThat(invited.body()).contains("\"edgeProxy\":\"edge-api\"").contains("\"user\":\"gina\"");
            HttpResponse<String> shown = call("GET", "/api/v1/users/gina", null);
            assertThat(shown.body()).contains("\"inviteExpiresAt\"").doesNotContain(secret);
            assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(line -> line.contains(secret))
                    .anyMatch(line -> line.startsWith("action=invite.issued outcome=success actor=admin:bootstrap"));
            assertThat(call("POST", "/api/v1/users/gina/invites", "{\"expiresInSeconds\":60}").statusCode()).isEqualTo(400);
        } finally {
            root.detachAppender(logs);
        }
    }

    @Test
    void disablingOrDeletingADeviceEvictsItsPeerFromTheLocation() throws Exception {
        core.adoptedGateway("gw-rome", "rome");
        call("POST", "/api/v1/locations", "{\"name\":\"rome\",\"addressPool\":\"10.20.0.0/24\"}");
        call("POST", "/api/v1/users", "{\"name\":\"hank\",\"email\":\"hank@example.com\"}");
        String key = randomKey();
        device("hank", "laptop", key, "rome");
        admit("rome", key, "10.20.0.1/32");

        HttpResponse<String> disabled = call("POST", "/api/v1/devices/hank/laptop/disable", null);

        assertThat(disabled.statusCode()).as(disabled.body()).isEqualTo(200);
        assertThat(disabled.body()).contains("\"state\":\"DISABLED\"");
        assertThat(call("GET", "/api/v1/locations/rome/peers", null).body()).isEqualTo("[]");
        assertThat(evictedFromGateways(key)).isTrue();
        assertThat(call("POST", "/api/v1/devices/hank/laptop/enable", null).body()).contains("\"state\":\"ACTIVE\"");

        admit("rome", key, "10.20.0.1/32");
        HttpResponse<String> deleted = call("DELETE", "/api/v1/devices/hank/laptop", null);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/locations/rome/peers", null).body()).isEqualTo("[]");
        assertThat(call("GET", "/api/v1/devices?user=hank", null).body()).isEqualTo("[]");
        assertThat(call("GET", "/api/v1/locations/rome", null).body()).contains("\"devices\":0");
    }

    @Test
    void disablingAUserEvictsEveryDeviceAndEnablingMakesThemInvitedAgain() throws Exception {
        core.adoptedGateway("gw-oslo", "oslo");
        call("POST", "/api/v1/locations", "{\"name\":\"oslo\",\"addressPool\":\"10.21.0.0/24\"}");
        call("POST", "/api/v1/users", "{\"name\":\"ida\",\"email\":\"ida@example.com\"}");
        String laptop = randomKey();
        String phone = randomKey();
        device("ida", "laptop", laptop, "oslo");
        device("ida", "phone", phone, "oslo");
        admit("oslo", laptop, "10.21.0.1/32");
        admit("oslo", phone, "10.21.0.2/32");

        HttpResponse<String> disabled = call("POST", "/api/v1/users/ida/disable", null);

        assertThat(disabled.body()).contains("\"state\":\"DISABLED\"");
        assertThat(call("GET", "/api/v1/locations/oslo/peers", null).body()).isEqualTo("[]");
        assertThat(evictedFromGateways(laptop)).isTrue();
        assertThat(evictedFromGateways(phone)).isTrue();
        assertThat(call("POST", "/api/v1/users/ida/enable", null).body()).contains("\"state\":\"INVITED\"");

        admit("oslo", laptop, "10.21.0.1/32");
        assertThat(call("DELETE", "/api/v1/users/ida", null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/locations/oslo/peers", null).body()).isEqualTo("[]");
        assertThat(call("GET", "/api/v1/devices?user=ida", null).statusCode()).isEqualTo(404);
        assertThat(call("GET", "/api/v1/users/ida", null).statusCode()).isEqualTo(404);
    }

    @Test
    void devicesAreListedAndRenamed() throws Exception {
        call("POST", "/api/v1/locations", "{\"name\":\"paris\",\"addressPool\":\"10.22.0.0/24\"}");
        call("POST", "/api/v1/users", "{\"name\":\"jo\",\"email\":\"jo@example.com\"}");
        String key = randomKey();
        device("jo", "old name", key, "paris");
        device("jo", "tablet", randomKey(), "paris");

        HttpResponse<String> listed = call("GET", "/api/v1/devices?user=jo", null);
        HttpResponse<String> renamed = call("PUT", "/api/v1/devices/jo/old%20name/name", "{\"name\":\"work laptop\"}");
        HttpResponse<String> clash = call("PUT", "/api/v1/devices/jo/tablet/name", "{\"name\":\"work laptop\"}");
        HttpResponse<String> bad = call("PUT", "/api/v1/devices/jo/tablet/name", "{\"name\":\"tab\\nlet\"}");

        assertThat(listed.body()).contains("\"name\":\"old name\"").contains("\"publicKey\":\"" + key + "\"")
                .contains("\"addresses\":{\"paris\":\"10.22.0.1/32\"}").contains("\"kind\":\"config\"");
        assertThat(renamed.statusCode()).as(renamed.body()).isEqualTo(200);
        assertThat(renamed.body()).contains("\"name\":\"work laptop\"");
        assertThat(clash.statusCode()).isEqualTo(409);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(call("POST", "/api/v1/devices/jo/nothing/disable", null).statusCode()).isEqualTo(404);
        assertThat(call("GET", "/api/v1/devices", null).body()).contains("\"user\":\"jo\"");
        assertThat(call("GET", "/api/v1/users/jo", null).body()).contains("work laptop");
    }
}
