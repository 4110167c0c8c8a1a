package dev.portcullis.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.admin.CoreUnderTest;
import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.component.ComponentRegistry;
import dev.portcullis.core.component.EdgeProxyReports;
import dev.portcullis.core.identity.DeviceKind;
import dev.portcullis.core.identity.Devices;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The user, group, location and device commands end to end against a real running core admin API. */
class IdentityCliTest {

    private static CoreUnderTest core;

    @BeforeAll
    static void startCore() throws Exception {
        core = CoreUnderTest.start();
    }

    @AfterAll
    static void stopCore() {
        core.close();
    }

    record Run(int exitCode, String out, String err) {
    }

    private Run admin(String... args) {
        List<String> all = new ArrayList<>(List.of("--url", core.url(), "--token-file", core.home.resolve("admin-token").toString()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = AdminCli.execute(all.toArray(String[]::new), Map.of(), new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private static WireGuardPublicKey randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return WireGuardPublicKey.fromBytes(key);
    }

    /** What enrollment does when the user registers a device: the device, with an address at the location. */
    private static void enrolledDevice(String user, String name, String location) {
        Devices devices = core.context.getBean(Devices.class);
        UUID id = UUID.fromString(core.context.getBean(Users.class).byName(user).orElseThrow().id());
        core.context.getBean(Database.class).inTransaction(c -> devices.register(c, id, user,
                new Devices.NewDevice(name, DeviceKind.CONFIG, randomKey(), Optional.empty()),
                List.of(core.context.getBean(Locations.class).byName(location).orElseThrow()), Actor.user(user, "-")));
    }

    @Test
    void usersGroupsAndLocationsEndToEnd() {
        assertThat(admin("group", "add", "ops").out()).contains("created group 'ops'");
        Run added = admin("user", "add", "alice", "--email", "alice@example.com", "--display-name", "Alice Example",
                "--group", "ops");
        assertThat(added.exitCode()).as(added.err()).isZero();
        assertThat(added.out()).contains("created user 'alice' <alice@example.com>, state INVITED")
                .contains("portcullis-admin user invite alice");
        assertThat(admin("user", "add", "bob", "--email", "bob@example.com").exitCode()).isZero();

        Run users = admin("user", "list");
        assertThat(users.out()).contains("NAME").contains("alice").contains("Alice Example").contains("INVITED").contains("ops");

        Run location = admin("location", "add", "berlin", "--pool", "10.8.0.0/24", "--dns", "10.8.0.1", "--route",
                "192.168.50.0/24,192.168.51.0/24", "--mfa", "totp,webauthn", "--session-lifetime", "4h", "--idle-timeout",
                "15m", "--group", "ops");
        assertThat(location.exitCode()).as(location.err()).isZero();
        assertThat(location.out()).contains("created location 'berlin'").contains("pool 10.8.0.0/24")
                .contains("routes: 192.168.50.0/24, 192.168.51.0/24").contains("mfa: totp, webauthn; session lifetime 4h, "
                        + "idle timeout 15m").contains("reachable by: members of ops");
        assertThat(admin("location", "list").out()).contains("berlin").contains("10.8.0.0/24").contains("totp,webauthn");
        Run shown = admin("location", "show", "berlin");
        assertThat(shown.out()).contains("0 device(s) with an address").contains("gateways: none");
        Run badPool = admin("location", "add", "huge", "--pool", "10.0.0.0/8");
        assertThat(badPool.exitCode()).isEqualTo(1);
        assertThat(badPool.err()).contains("must be an IPv4 network from /16 to /30");

        assertThat(admin("group", "member", "add", "ops", "bob").out()).contains("group 'ops': alice, bob");
        assertThat(admin("group", "member", "remove", "ops", "bob").out()).contains("removed 'bob' from group 'ops'");
        assertThat(admin("group", "list").out()).contains("ops").contains("alice");

        Run details = admin("user", "show", "alice");
        assertThat(details.out()).contains("user 'alice' (Alice Example <alice@example.com>), state INVITED")
                .contains("groups: ops").contains("password: not set; TOTP: no; security keys: 0; recovery codes left: 0")
                .contains("no devices");

        assertThat(admin("user", "disable", "bob").out()).contains("disabled user 'bob'");
        assertThat(admin("user", "enable", "bob").out()).contains("user 'bob' is INVITED");
        assertThat(admin("user", "delete", "bob").out()).contains("deleted user 'bob'");
        assertThat(admin("user", "list").out()).doesNotContain("bob");
        assertThat(admin("--json", "user", "list").out().strip()).startsWith("[").contains("\"name\":\"alice\"");
    }

    @Test
    void inviteShowsTheLinkOnceAndSaysSo() {
        assertThat(admin("user", "add", "carol", "--email", "carol@example.com").exitCode()).isZero();
        Run noEdge = admin("user", "invite", "carol");
        assertThat(noEdge.exitCode()).isEqualTo(1);
        assertThat(noEdge.err()).contains("portcullis-admin component add --role edge-proxy");

        assertThat(admin("component", "add", "--role", "edge-proxy", "--name", "edge-cli", "--address", "127.0.0.1:7443")
                .exitCode()).isZero();
        Run noOrigin = admin("user", "invite", "carol");
        assertThat(noOrigin.exitCode()).isEqualTo(1);
        assertThat(noOrigin.err()).contains("set the edge-proxy's public origin with "
                + "`portcullis-admin component set edge-cli --public-origin https://…`");
        assertThat(admin("component", "set", "edge-cli", "--public-origin", "https://access.example.com").exitCode()).isZero();
        Run noPin = admin("user", "invite", "carol");
        assertThat(noPin.exitCode()).isEqualTo(1);
        assertThat(noPin.err()).contains("has not reported the pin of its public TLS certificate yet");
        byte[] pin = new byte[32];
        new SecureRandom().nextBytes(pin);
        core.context.getBean(EdgeProxyReports.class).record(
                core.context.getBean(ComponentRegistry.class).byName("edge-cli").orElseThrow().id(), pin, Instant.now());

        Run invited = admin("user", "invite", "carol", "--expires", "2h", "--via", "edge-cli");

        assertThat(invited.exitCode()).as(invited.err()).isZero();
        List<String> links = invited.out().lines().map(String::strip).filter(l -> l.startsWith("https://")).toList();
        assertThat(links).hasSize(1);
        assertThat(links.get(0)).matches("https://access\\.example\\.com/enroll/[A-Za-z0-9_-]{43}#ca=[A-Za-z0-9_-]{43}");
        assertThat(invited.out()).contains("invite for 'carol' via edge-proxy 'edge-cli', single use, expires")
                .contains("This link is shown once");
        assertThat(admin("user", "show", "carol").out()).contains("pending invite expires")
                .doesNotContain(links.get(0).substring(0, links.get(0).indexOf('#')));
        Run badExpiry = admin("user", "invite", "carol", "--expires", "soon");
        assertThat(badExpiry.exitCode()).isEqualTo(2);
        assertThat(badExpiry.err()).contains("--expires must look like 90s, 30m, 8h or 2d");
        assertThat(admin("user", "invite", "carol", "--expires", "30m").err()).contains("between 1 hour and 7 days");
    }

    @Test
    void devicesAreListedRenamedDisabledEnabledAndDeleted() {
        assertThat(admin("user", "add", "dora", "--email", "dora@example.com").exitCode()).isZero();
        assertThat(admin("location", "add", "vienna", "--pool", "10.30.0.0/24").exitCode()).isZero();
        assertThat(admin("device", "list", "--user", "dora").out()).contains("user 'dora' has no devices");
        enrolledDevice("dora", "laptop", "vienna");

        Run listed = admin("device", "list", "--user", "dora");
        assertThat(listed.out()).contains("USER").contains("dora").contains("laptop").contains("config").contains("ACTIVE")
                .contains("vienna=10.30.0.1/32");
        Run renamed = admin("device", "rename", "dora", "laptop", "work laptop");
        assertThat(renamed.exitCode()).as(renamed.err()).isZero();
        assertThat(renamed.out()).contains("renamed dora's device 'laptop' to 'work laptop'");
        assertThat(admin("device", "disable", "dora", "work laptop").out()).contains("its tunnel sessions ended");
        assertThat(admin("device", "list").out()).contains("DISABLED");
        assertThat(admin("device", "enable", "dora", "work laptop").out()).contains("enabled dora's device 'work laptop'");
        assertThat(admin("user", "show", "dora").out()).contains("work laptop");
        assertThat(admin("device", "delete", "dora", "work laptop").out()).contains("deleted dora's device 'work laptop'");
        Run missing = admin("device", "disable", "dora", "work laptop");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("user 'dora' has no device named 'work laptop'");
    }

    @Test
    void helpExplainsTheNewCommands() {
        Run help = admin("--help");
        assertThat(help.out()).contains("user").contains("group").contains("location").contains("device");
        assertThat(admin("user", "--help").out()).contains("invite").contains("disable").contains("INVITED");
        assertThat(admin("user", "invite", "--help").out()).contains("--expires").contains("--via").contains("shown once");
        assertThat(admin("location", "add", "--help").out()).contains("--pool").contains("--mfa").contains("--group")
                .contains("--session-lifetime").contains("--idle-timeout");
        Run missing = admin("user");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("missing subcommand");
    }
}
