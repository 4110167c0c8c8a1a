package dev.portcullis.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.enroll.EnrollmentFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sweeper ends expired, idle and moved sessions, driven by a fake clock and fabricated gateway telemetry. */
class SessionSweeperTest {

    private final SessionFixture fixture = new SessionFixture();

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void expiredSessionsAreDeletedAndRecordedWithoutAPush() {
        SessionFixture.Started session = fixture.start(fixture.device("alice", "laptop"), "office", Duration.ofMinutes(2));
        // Kept alive by handshakes, so only the absolute lifetime can end it.
        fixture.base.clock.advance(Duration.ofMinutes(1));
        fixture.telemetry(fixture.officeGateway, session.key(), "198.51.100.7:51820", fixture.base.clock.instant());
        assertThat(fixture.sweeper.sweepOnce()).isEqualTo(new SessionSweeper.Sweep(0, 0, 0));

        fixture.base.clock.advance(Duration.ofMinutes(1));
        assertThat(fixture.sweeper.sweepOnce()).isEqualTo(new SessionSweeper.Sweep(1, 0, 0));

        assertThat(fixture.rowExists(session.id())).isFalse();
        assertThat(fixture.evictedAt(fixture.officeGateway)).as("gateways evict at not-after by themselves").isEmpty();
        assertThat(fixture.audit("tunnel.session.expired")).containsExactly(new SessionFixture.Audit(
                "core", "session:" + session.id(), null, "office", "alice", "laptop"));
        assertThat(fixture.audit("tunnel.session.evicted")).isEmpty();
    }

    @Test
    void expiredPeersAnAdminAdmittedAreDeletedButAreNoSessionToRecord() {
        var admitted = fixture.base.admissions.admit("office", EnrollmentFixture.randomKey(), List.of("10.80.0.200/32"),
                Duration.ofMinutes(1));
        fixture.base.clock.advance(Duration.ofMinutes(1));

        assertThat(fixture.sweeper.sweepOnce().expired()).isEqualTo(1);
        assertThat(fixture.rowExists(admitted.sessionId())).isFalse();
        assertThat(fixture.audit("tunnel.session.expired")).isEmpty();
    }

    @Test
    void aSessionWithoutHandshakesIsEvictedAfterTheIdleTimeoutFromItsStart() {
        SessionFixture.Started session = fixture.start("alice", "laptop", "office");
        fixture.base.clock.advance(Duration.ofMinutes(10).minusSeconds(1));
        assertThat(fixture.sweeper.sweepOnce().idle()).isZero();

        fixture.base.clock.advance(Duration.ofSeconds(1));
        assertThat(fixture.sweeper.sweepOnce().idle()).isEqualTo(1);

        assertThat(fixture.rowExists(session.id())).isFalse();
        assertThat(fixture.evictedAt(fixture.officeGateway)).containsExactly(session.id());
        assertThat(fixture.audit("tunnel.session.evicted")).containsExactly(new SessionFixture.Audit(
                "core", "session:" + session.id(), "idle", "office", "alice", "laptop"));
    }

    @Test
    void handshakesKeepASessionAliveUntilTheyStop() {
        SessionFixture.Started session = fixture.start("alice", "laptop", "office");
        fixture.base.clock.advance(Duration.ofMinutes(8));
        Instant handshake = fixture.base.clock.instant();
        fixture.telemetry(fixture.officeGateway, session.key(), "198.51.100.7:51820", handshake);

        assertThat(fixture.sessions.find(session.id()).orElseThrow().lastHandshake())
                .contains(handshake.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        fixture.base.clock.advance(Duration.ofMinutes(9));
        assertThat(fixture.sweeper.sweepOnce().idle()).isZero();
        assertThat(fixture.rowExists(session.id())).isTrue();

        fixture.base.clock.advance(Duration.ofMinutes(1));
        assertThat(fixture.sweeper.sweepOnce().idle()).isEqualTo(1);
        assertThat(fixture.rowExists(session.id())).isFalse();
    }

    @Test
    void aHandshakeOfTheDevicesPreviousSessionDoesNotKeepTheNewOneAlive() {
        SessionFixture.Started first = fixture.start("alice", "laptop", "office");
        fixture.base.clock.advance(Duration.ofMinutes(1));
        Instant oldHandshake = fixture.base.clock.instant();
        fixture.telemetry(fixture.officeGateway, first.key(), "198.51.100.7:51820", oldHandshake);
        fixture.base.clock.advance(Duration.ofMinutes(1));

        SessionFixture.Started second = fixture.start(first.device(), "office", Duration.ofHours(8));
        assertThat(fixture.sessions.find(second.id()).orElseThrow().lastHandshake()).as("a new session starts fresh").isEmpty();
        // The gateway keeps reporting the handshake it saw before the new session started.
        fixture.telemetry(fixture.officeGateway, first.key(), "198.51.100.7:51820", oldHandshake);
        assertThat(fixture.sessions.find(second.id()).orElseThrow().lastHandshake()).isEmpty();
        assertThat(fixture.sessions.find(second.id()).orElseThrow().endpoint()).isEmpty();

        fixture.base.clock.advance(Duration.ofMinutes(10));
        assertThat(fixture.sweeper.sweepOnce().idle()).isEqualTo(1);
        assertThat(fixture.rowExists(second.id())).isFalse();
    }

    @Test
    void aHandshakeReportedInTheFutureCountsAsNow() {
        SessionFixture.Started session = fixture.start("alice", "laptop", "office");
        fixture.telemetry(fixture.officeGateway, session.key(), "198.51.100.7:51820",
                fixture.base.clock.instant().plus(Duration.ofDays(1)));

        fixture.base.clock.advance(Duration.ofMinutes(10));
        assertThat(fixture.sweeper.sweepOnce().idle()).isEqualTo(1);
    }

    @Test
    void telemetryIsStoredOnlyForMfaSessionsOfTheGatewaysLocation() {
        var admitted = fixture.base.admissions.admit("office", EnrollmentFixture.randomKey(), List.of("10.80.0.200/32"),
                Duration.ofHours(1));
        SessionFixture.Started atLab = fixture.start("alice", "laptop", "lab");
        fixture.base.clock.advance(Duration.ofMinutes(1));
        fixture.telemetry(fixture.officeGateway, admitted.publicKey(), "198.51.100.9:51820", fixture.base.clock.instant());
        // The office gateway says nothing about the lab's session, even for the same device key.
        fixture.telemetry(fixture.officeGateway, atLab.key(), "198.51.100.7:51820", fixture.base.clock.instant());

        assertThat(fixture.sessions.find(atLab.id()).orElseThrow().lastHandshake()).isEmpty();
        Object stored = fixture.base.database.inTransaction(c -> {
            try (var select = c.prepareStatement(
                    "SELECT last_handshake_at IS NULL AND first_endpoint IS NULL FROM location_peers WHERE session_id = ?")) {
                select.setString(1, admitted.sessionId());
                try (var rs = select.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        });
        assertThat(stored).isEqualTo(true);
    }

    @Test
    void aSessionIsEvictedWhenItsDeviceShowsUpFromAnotherAddressWhereTheLocationAsksForIt() {
        SessionFixture.Started lab = fixture.start("alice", "laptop", "lab");
        SessionFixture.Started office = fixture.start(lab.device(), "office", Duration.ofHours(8));
        fixture.base.clock.advance(Duration.ofSeconds(10));
        fixture.telemetry(fixture.labGateway, lab.key(), "198.51.100.7:51820", fixture.base.clock.instant());
        fixture.telemetry(fixture.officeGateway, office.key(), "198.51.100.7:51820", fixture.base.clock.instant());
        assertThat(fixture.sessions.find(lab.id()).orElseThrow().endpoint()).contains("198.51.100.7:51820");
        assertThat(fixture.sweeper.sweepOnce()).isEqualTo(new SessionSweeper.Sweep(0, 0, 0));

        // A new NAT port on the same address is the same network.
        fixture.base.clock.advance(Duration.ofSeconds(10));
        fixture.telemetry(fixture.labGateway, lab.key(), "198.51.100.7:40001", fixture.base.clock.instant());
        assertThat(fixture.sweeper.sweepOnce()).isEqualTo(new SessionSweeper.Sweep(0, 0, 0));

        fixture.base.clock.advance(Duration.ofSeconds(10));
        fixture.telemetry(fixture.labGateway, lab.key(), "192.0.2.44:51820", fixture.base.clock.instant());
        fixture.telemetry(fixture.officeGateway, office.key(), "192.0.2.44:51820", fixture.base.clock.instant());
        assertThat(fixture.sweeper.sweepOnce()).isEqualTo(new SessionSweeper.Sweep(0, 0, 1));

        assertThat(fixture.rowExists(lab.id())).isFalse();
        assertThat(fixture.evictedAt(fixture.labGateway)).containsExactly(lab.id());
        assertThat(fixture.audit("tunnel.session.evicted")).containsExactly(new SessionFixture.Audit(
                "core", "session:" + lab.id(), "endpoint_changed", "lab", "alice", "laptop"));
        assertThat(fixture.rowExists(office.id())).as("office does not ask for re-authentication").isTrue();
        assertThat(fixture.sessions.find(office.id()).orElseThrow().endpoint()).contains("198.51.100.7:51820");
    }

    @Test
    void hostOfAnEndpoint() {
        assertThat(SessionSweeper.host("198.51.100.7:51820")).isEqualTo("198.51.100.7");
        assertThat(SessionSweeper.host("[2001:db8::1]:51820")).isEqualTo("2001:db8::1");
        assertThat(SessionSweeper.host("garbage")).isEqualTo("garbage");
    }

    @Test
    void theScheduledSweeperStartsAndStops() {
        try (SessionSweeper scheduled = new SessionSweeper(fixture.base.database, fixture.sessions, fixture.reports,
                fixture.base.events, fixture.base.clock)) {
            assertThat(scheduled.start()).isSameAs(scheduled);
            assertThat(scheduled.start()).as("starting twice is harmless").isSameAs(scheduled);
        }
        assertThat(fixture.sessions.list(Optional.empty(), Optional.empty())).isEmpty();
    }
}
