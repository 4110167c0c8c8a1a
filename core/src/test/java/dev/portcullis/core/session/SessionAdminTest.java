package dev.portcullis.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.admin.CoreUnderTest;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.cli.AdminCli;
import dev.portcullis.core.enroll.EnrollmentFixture;
import dev.portcullis.core.identity.Device;
import dev.portcullis.core.identity.DeviceKind;
import dev.portcullis.core.identity.Devices;
import dev.portcullis.core.identity.User;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.location.Admissions;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.store.Database;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin API and CLI for tunnel sessions, location policy changes and MFA unlock, against a real running core. */
class SessionAdminTest {

    private static CoreUnderTest core;
    private static String token;

    @BeforeAll
    static void startCore() throws Exception {
        core = CoreUnderTest.start();
        token = core.bootstrapToken();
        for (String location : List.of("hq", "depot")) {
            HttpResponse<String> created = call("POST", "/api/v1/locations",
                    "{\"name\":\"" + location + "\",\"addressPool\":\"10." + (location.equals("hq") ? 90 : 91) + ".0.0/24\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            core.adoptedGateway("gw-" + location, location);
        }
    }

    @AfterAll
    static void stopCore() {
        core.close();
    }

    private static HttpResponse<String> call(String method, String path, String json) throws Exception {
        return core.call(method, path, token, json);
    }

    record Run(int exitCode, String out, String err) {
    }

    private static Run admin(String... args) {
        List<String> all = new ArrayList<>(List.of("--url", core.url(), "--token-file", core.home.resolve("admin-token").toString()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = AdminCli.execute(all.toArray(String[]::new), Map.of(), new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private static User user(String name) {
        Users users = core.context.getBean(Users.class);
        return users.byName(name).orElseGet(() -> users.create(new Users.NewUser(name, name + "@example.com", Optional.empty(),
                List.of()), EnrollmentFixture.ADMIN));
    }

    /** A device of the user with an address at the location, admitted there as a passed MFA would. */
    private static String session(String userName, String deviceName, String location) {
        User owner = user(userName);
        Devices devices = core.context.getBean(Devices.class);
        Device device = core.context.getBean(Database.class).inTransaction(c -> devices.register(c,
                UUID.fromString(owner.id()), owner.name(), new Devices.NewDevice(deviceName, DeviceKind.CONFIG,
                        EnrollmentFixture.randomKey(), Optional.empty()),
                List.of(core.context.getBean(Locations.class).byName(location).orElseThrow()), Actor.user(userName, "-")));
        Admissions.Admission admission = core.context.getBean(Admissions.class).admit(location, device.publicKey(),
                List.of(device.addresses().get(location)), Duration.ofHours(1), new Admissions.SessionStart(
                        new LocationStore.SessionOwner(UUID.fromString(owner.id()), owner.name(), UUID.fromString(device.id()),
                                device.name(), "WEBAUTHN"), Actor.user(userName, "-"), core.context.getBean(SecurityEvents.class)));
        assertThat(admission.admitted()).isTrue();
        return admission.sessionId();
    }

    private static boolean evicted(String sessionId) {
        return core.gatewayLinks().pushed.stream().anyMatch(u -> u.getChangeCase() == ConfigUpdate.ChangeCase.EVICT
                && u.getEvict().getSessionId().equals(sessionId));
    }

    @Test
    void adminsListAndRevokeSessionsOverHttp() throws Exception {
        String dana = session("dana", "laptop", "hq");
        String erin = session("erin", "laptop", "depot");

        HttpResponse<String> all = call("GET", "/api/v1/sessions", null);
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(all.body()).contains(dana).contains(erin).contains("\"method\":\"WEBAUTHN\"")
                .contains("\"idleTimeoutSeconds\":600").doesNotContain("presharedKey");
        HttpResponse<String> filtered = call("GET", "/api/v1/sessions?location=hq&user=dana", null);
        assertThat(filtered.body()).contains(dana).doesNotContain(erin).contains("\"user\":\"dana\"")
                .contains("\"device\":\"laptop\"");
        assertThat(call("GET", "/api/v1/sessions?user=erin&location=hq", null).body()).isEqualTo("[]");

        HttpResponse<String> noUser = call("GET", "/api/v1/sessions?user=nobody", null);
        assertThat(noUser.statusCode()).isEqualTo(404);
        assertThat(noUser.body()).contains("nobody");
        HttpResponse<String> badLocation = call("GET", "/api/v1/sessions?location=%3Cscript%3E", null);
        assertThat(badLocation.statusCode()).isEqualTo(400);
        assertThat(badLocation.body()).contains("location must be a location name");
        assertThat(core.call("GET", "/api/v1/sessions", null, null).statusCode()).isEqualTo(401);
        assertThat(core.call("DELETE", "/api/v1/sessions/" + dana, "not-a-token", null).statusCode()).isEqualTo(401);

        HttpResponse<String> revoked = call("DELETE", "/api/v1/sessions/" + dana, null);
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        assertThat(revoked.body()).contains(dana).contains("\"location\":\"hq\"");
        assertThat(evicted(dana)).isTrue();
        assertThat(evicted(erin)).isFalse();
        assertThat(call("GET", "/api/v1/sessions", null).body()).doesNotContain(dana).contains(erin);

        HttpResponse<String> again = call("DELETE", "/api/v1/sessions/" + dana, null);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(again.body()).isEqualTo("{\"error\":\"No live session with that id.\"}");
    }

    @Test
    void locationPolicyChangesOverHttpEndTheLocationsSessions() throws Exception {
        String frank = session("frank", "laptop", "hq");
        String grace = session("grace", "laptop", "depot");

        HttpResponse<String> empty = call("PATCH", "/api/v1/locations/hq", "{}");
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(empty.body()).contains("nothing to change");
        HttpResponse<String> tooShort = call("PATCH", "/api/v1/locations/hq", "{\"idleTimeoutSeconds\":5}");
        assertThat(tooShort.statusCode()).isEqualTo(400);
        assertThat(tooShort.body()).contains("idle timeout must be between 1 minute and 1 day");
        HttpResponse<String> badMethod = call("PATCH", "/api/v1/locations/hq", "{\"mfaMethods\":[\"sms\"]}");
        assertThat(badMethod.statusCode()).isEqualTo(400);
        assertThat(badMethod.body()).contains("'totp' and 'webauthn'");
        assertThat(call("PATCH", "/api/v1/locations/atlantis", "{\"idleTimeoutSeconds\":600}").statusCode()).isEqualTo(404);
        assertThat(evicted(frank)).as("refused changes end nothing").isFalse();

        HttpResponse<String> changed = call("PATCH", "/api/v1/locations/hq",
                "{\"mfaMethods\":[\"totp\"],\"idleTimeoutSeconds\":900,\"reauthOnEndpointChange\":true}");
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
        assertThat(changed.body()).contains("\"sessionsEnded\":1").contains("\"mfaMethods\":[\"totp\"]")
                .contains("\"idleTimeoutSeconds\":900").contains("\"reauthOnEndpointChange\":true");
        assertThat(evicted(frank)).isTrue();
        assertThat(evicted(grace)).isFalse();
    }

    @Test
    void unlockOverHttp() throws Exception {
        String id = user("heidi").id();
        core.context.getBean(Database.class).inTransaction(c -> {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO mfa_failures (key, failures, last_failure_at, "
                    + "blocked_until, locked) VALUES (?, 5, now(), now() + interval '15 minutes', true)")) {
                insert.setString(1, "user:" + id);
                return insert.executeUpdate();
            }
        });
        HttpResponse<String> unlocked = call("POST", "/api/v1/users/heidi/unlock", null);
        assertThat(unlocked.statusCode()).as(unlocked.body()).isEqualTo(200);
        assertThat(unlocked.body()).contains("\"wasLocked\":true");
        assertThat(call("POST", "/api/v1/users/nobody/unlock", null).statusCode()).isEqualTo(404);
    }

    @Test
    void theCliListsAndRevokesSessionsChangesPoliciesAndUnlocks() {
        assertThat(admin("location", "add", "yard", "--pool", "10.92.0.0/24").exitCode()).isZero();
        core.adoptedGateway("gw-yard", "yard");
        String ivan = session("ivan", "laptop", "yard");
        String judy = session("judy", "phone", "yard");

        Run list = admin("session", "list", "--location", "yard", "--user", "ivan");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out()).contains("ID").contains(ivan).contains("ivan").contains("laptop").contains("WEBAUTHN")
                .contains("never").doesNotContain(judy);
        assertThat(admin("--json", "session", "list", "--user", "judy").out()).contains("\"id\":\"" + judy + "\"");
        assertThat(admin("session", "list", "--user", "nobody").err()).contains("nobody");

        Run revoke = admin("session", "revoke", ivan);
        assertThat(revoke.exitCode()).as(revoke.err()).isZero();
        assertThat(revoke.out()).contains("revoked session " + ivan + " of ivan/laptop at location 'yard'");
        assertThat(evicted(ivan)).isTrue();
        Run gone = admin("session", "revoke", ivan);
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.err()).contains("No live session with that id.");

        Run bad = admin("location", "set", "yard", "--idle-timeout", "soon");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("--idle-timeout must look like 90s, 30m, 8h or 2d");
        Run badBool = admin("location", "set", "yard", "--reauth-on-endpoint-change", "maybe");
        assertThat(badBool.err()).contains("--reauth-on-endpoint-change must be true or false");
        Run nothing = admin("location", "set", "yard");
        assertThat(nothing.err()).contains("nothing to change");
        Run outOfRange = admin("location", "set", "yard", "--session-lifetime", "30d");
        assertThat(outOfRange.exitCode()).isEqualTo(1);
        assertThat(outOfRange.err()).contains("session lifetime must be between 1 minute and 7 days");
        assertThat(evicted(judy)).isFalse();

        Run set = admin("location", "set", "yard", "--mfa", "totp,webauthn", "--session-lifetime", "4h", "--idle-timeout",
                "15m", "--reauth-on-endpoint-change", "true", "--groups", "");
        assertThat(set.exitCode()).as(set.err()).isZero();
        assertThat(set.out()).contains("changed location 'yard'; 1 tunnel session(s) ended")
                .contains("session lifetime 4h, idle timeout 15m, re-authenticate when the endpoint changes")
                .contains("reachable by: every user");
        assertThat(evicted(judy)).isTrue();
        assertThat(admin("session", "list", "--location", "yard").out()).contains("no live tunnel sessions");

        user("mallory");
        Run unlock = admin("user", "unlock", "mallory");
        assertThat(unlock.exitCode()).as(unlock.err()).isZero();
        assertThat(unlock.out()).contains("user 'mallory' was not locked and had no failed attempts");
        Run unknown = admin("user", "unlock", "nobody");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("nobody");
    }
}
