package dev.portcullis.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.identity.Users;
import dev.portcullis.core.location.Location;
import dev.portcullis.core.location.Locations;
import dev.portcullis.core.location.MfaMethod;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sessions end at once when their location's policy changes, their device or user is disabled, and MFA unlock. */
class SessionEndsTest {

    private final SessionFixture fixture = new SessionFixture();

    @AfterEach
    void close() {
        fixture.close();
    }

    private static Locations.PolicyChange idle(Duration idle) {
        return new Locations.PolicyChange(Optional.empty(), Optional.empty(), Optional.of(idle), Optional.empty(),
                Optional.empty());
    }

    @Test
    void aPolicyChangeEndsEverySessionOfThatLocationAndNoOther() {
        SessionFixture.Started alice = fixture.start("alice", "laptop", "office");
        SessionFixture.Started bob = fixture.start("bob", "phone", "office");
        SessionFixture.Started lab = fixture.start("carol", "tablet", "lab");
        fixture.base.groups.create("ops", SessionFixture.ADMIN);

        LocationPolicies.Changed changed = fixture.policies.change("office", new Locations.PolicyChange(
                Optional.of(List.of("webauthn")), Optional.of(Duration.ofHours(2)), Optional.of(Duration.ofMinutes(5)),
                Optional.of(true), Optional.of(List.of("ops"))), SessionFixture.ADMIN);

        assertThat(changed.sessionsEnded()).isEqualTo(2);
        Location office = changed.location();
        assertThat(office.mfaMethods()).isEqualTo(Set.of(MfaMethod.WEBAUTHN));
        assertThat(office.sessionLifetime()).isEqualTo(Duration.ofHours(2));
        assertThat(office.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(office.reauthOnEndpointChange()).isTrue();
        assertThat(office.groups()).containsExactly("ops");
        assertThat(fixture.base.locations.byName("office").orElseThrow()).isEqualTo(office);

        assertThat(fixture.rowExists(alice.id())).isFalse();
        assertThat(fixture.rowExists(bob.id())).isFalse();
        assertThat(fixture.rowExists(lab.id())).isTrue();
        assertThat(fixture.evictedAt(fixture.officeGateway)).containsExactlyInAnyOrder(alice.id(), bob.id());
        assertThat(fixture.evictedAt(fixture.labGateway)).isEmpty();
        assertThat(fixture.audit("tunnel.session.evicted")).extracting(SessionFixture.Audit::reason)
                .containsExactly("policy_changed", "policy_changed");
        assertThat(fixture.audit("location.policy.changed")).extracting(SessionFixture.Audit::subject)
                .containsExactly("location:office");
    }

    @Test
    void aPolicyChangeKeepsWhatItDoesNotName() {
        Location before = fixture.base.locations.byName("lab").orElseThrow();
        Location after = fixture.policies.change("lab", idle(Duration.ofMinutes(30)), SessionFixture.ADMIN).location();

        assertThat(after.idleTimeout()).isEqualTo(Duration.ofMinutes(30));
        assertThat(after.mfaMethods()).isEqualTo(before.mfaMethods());
        assertThat(after.sessionLifetime()).isEqualTo(before.sessionLifetime());
        assertThat(after.reauthOnEndpointChange()).isTrue();
        // The sweeper counts with the new idle timeout.
        SessionFixture.Started session = fixture.start("alice", "laptop", "lab");
        assertThat(fixture.sessions.find(session.id()).orElseThrow().idleTimeout()).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void badPolicyChangesAreRefusedWithAReasonAndChangeNothing() {
        SessionFixture.Started session = fixture.start("alice", "laptop", "office");
        Locations.PolicyChange nothing = new Locations.PolicyChange(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());

        assertThatThrownBy(() -> fixture.policies.change("office", nothing, SessionFixture.ADMIN))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("nothing to change");
        assertThatThrownBy(() -> fixture.policies.change("office", idle(Duration.ofSeconds(10)), SessionFixture.ADMIN))
                .isInstanceOf(BadRequestException.class).hasMessage("idle timeout must be between 1 minute and 1 day");
        assertThatThrownBy(() -> fixture.policies.change("office", new Locations.PolicyChange(Optional.of(List.of("sms")),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()), SessionFixture.ADMIN))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("'totp' and 'webauthn'");
        assertThatThrownBy(() -> fixture.policies.change("office", new Locations.PolicyChange(Optional.of(List.of()),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()), SessionFixture.ADMIN))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("at least one");
        assertThatThrownBy(() -> fixture.policies.change("office", new Locations.PolicyChange(Optional.empty(),
                Optional.of(Duration.ofDays(8)), Optional.empty(), Optional.empty(), Optional.empty()), SessionFixture.ADMIN))
                .isInstanceOf(BadRequestException.class).hasMessage("session lifetime must be between 1 minute and 7 days");
        assertThatThrownBy(() -> fixture.policies.change("nowhere", idle(Duration.ofMinutes(5)), SessionFixture.ADMIN))
                .isInstanceOf(NotFoundException.class).hasMessage("no location named 'nowhere'");
        assertThatThrownBy(() -> fixture.policies.change("office", new Locations.PolicyChange(Optional.empty(),
                Optional.of(Duration.ofHours(1)), Optional.empty(), Optional.empty(), Optional.of(List.of("ghosts"))),
                SessionFixture.ADMIN)).isInstanceOf(NotFoundException.class).hasMessage("no group named 'ghosts'");

        assertThat(fixture.base.locations.byName("office").orElseThrow().sessionLifetime()).as("rolled back")
                .isEqualTo(Locations.DEFAULT_SESSION_LIFETIME);
        assertThat(fixture.rowExists(session.id())).isTrue();
        assertThat(fixture.audit("location.policy.changed")).isEmpty();
    }

    @Test
    void disablingADeviceEvictsItsSessionsWithThatReason() {
        SessionFixture.Started office = fixture.start("alice", "laptop", "office");
        SessionFixture.Started lab = fixture.start(office.device(), "lab", Duration.ofHours(8));
        SessionFixture.Started other = fixture.start("alice", "phone", "office");

        fixture.base.devices.disable("alice", "laptop", SessionFixture.ADMIN);

        assertThat(fixture.rowExists(office.id())).isFalse();
        assertThat(fixture.rowExists(lab.id())).isFalse();
        assertThat(fixture.rowExists(other.id())).isTrue();
        assertThat(fixture.evictedAt(fixture.officeGateway)).containsExactly(office.id());
        assertThat(fixture.evictedAt(fixture.labGateway)).containsExactly(lab.id());
        assertThat(fixture.audit("tunnel.session.evicted")).extracting(SessionFixture.Audit::reason, SessionFixture.Audit::actor)
                .containsOnly(org.assertj.core.groups.Tuple.tuple("device_disabled", "admin:test")).hasSize(2);
    }

    @Test
    void disablingAUserEvictsEverySessionOfTheirsWithThatReason() {
        SessionFixture.Started laptop = fixture.start("alice", "laptop", "office");
        SessionFixture.Started phone = fixture.start("alice", "phone", "lab");
        SessionFixture.Started bobs = fixture.start("bob", "phone", "office");

        fixture.base.users.disable("alice", SessionFixture.ADMIN);

        assertThat(fixture.rowExists(laptop.id())).isFalse();
        assertThat(fixture.rowExists(phone.id())).isFalse();
        assertThat(fixture.rowExists(bobs.id())).isTrue();
        assertThat(fixture.evictedAt(fixture.officeGateway)).containsExactly(laptop.id());
        assertThat(fixture.evictedAt(fixture.labGateway)).containsExactly(phone.id());
        assertThat(fixture.audit("tunnel.session.evicted")).extracting(SessionFixture.Audit::reason, SessionFixture.Audit::user)
                .containsOnly(org.assertj.core.groups.Tuple.tuple("user_disabled", "alice")).hasSize(2);
    }

    @Test
    void unlockLiftsTheUsersAndTheirDevicesLockoutsButNotOthersOrAddressesAndIsRecorded() {
        String alice = fixture.user("alice").id();
        String laptop = fixture.device("alice", "laptop").id();
        String bobs = fixture.device("bob", "phone").id();
        fixture.base.database.inTransaction(c -> {
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO mfa_failures (key, failures, last_failure_at, blocked_until, locked) VALUES "
                            + "(?, 5, now(), now() + interval '15 minutes', true), (?, 5, now(), now(), true), "
                            + "(?, 5, now(), now(), true), ('address:198.51.100.7', 5, now(), null, false)")) {
                insert.setString(1, "user:" + alice);
                insert.setString(2, "device:" + laptop);
                insert.setString(3, "device:" + bobs);
                return insert.executeUpdate();
            }
        });

        Users.Unlocked unlocked = fixture.base.users.unlock("alice", SessionFixture.ADMIN);

        assertThat(unlocked.wasLocked()).isTrue();
        assertThat(unlocked.hadFailures()).isTrue();
        assertThat(failureKeys()).containsExactly("address:198.51.100.7", "device:" + bobs);
        assertThat(fixture.audit("tunnel.mfa.unlocked")).extracting(SessionFixture.Audit::subject, SessionFixture.Audit::actor)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("user:alice", "admin:test"));

        Users.Unlocked again = fixture.base.users.unlock("alice", SessionFixture.ADMIN);
        assertThat(again.wasLocked()).isFalse();
        assertThat(again.hadFailures()).isFalse();
        assertThatThrownBy(() -> fixture.base.users.unlock("nobody", SessionFixture.ADMIN)).isInstanceOf(NotFoundException.class);
    }

    private List<String> failureKeys() {
        return fixture.base.database.inTransaction(c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT key FROM mfa_failures ORDER BY key");
                 ResultSet rs = select.executeQuery()) {
                List<String> keys = new java.util.ArrayList<>();
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
                return keys;
            }
        });
    }
}
