package dev.portcullis.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.enroll.EnrollmentFixture;
import dev.portcullis.core.location.Locations;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Listing, finding and revoking live MFA tunnel sessions. */
class SessionsTest {

    private final SessionFixture fixture = new SessionFixture();

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void listShowsLiveMfaSessionsNewestFirstAndFiltersByLocationAndUser() {
        SessionFixture.Started first = fixture.start("alice", "laptop", "office");
        fixture.base.clock.advance(Duration.ofSeconds(5));
        SessionFixture.Started second = fixture.start("bob", "phone", "lab");
        fixture.base.clock.advance(Duration.ofSeconds(5));
        SessionFixture.Started third = fixture.start(fixture.device("alice", "desktop"), "lab", Duration.ofHours(1));

        assertThat(fixture.sessions.list(Optional.empty(), Optional.empty())).extracting(Sessions.SessionView::id)
                .containsExactly(third.id(), second.id(), first.id());
        assertThat(fixture.sessions.list(Optional.of("lab"), Optional.empty())).extracting(Sessions.SessionView::id)
                .containsExactly(third.id(), second.id());
        UUID alice = UUID.fromString(first.user().id());
        assertThat(fixture.sessions.list(Optional.empty(), Optional.of(alice))).extracting(Sessions.SessionView::id)
                .containsExactly(third.id(), first.id());
        assertThat(fixture.sessions.list(Optional.of("office"), Optional.of(alice))).extracting(Sessions.SessionView::id)
                .containsExactly(first.id());

        Sessions.SessionView view = fixture.sessions.find(third.id()).orElseThrow();
        assertThat(view.location()).isEqualTo("lab");
        assertThat(view.user()).isEqualTo("alice");
        assertThat(view.userId()).isEqualTo(alice);
        assertThat(view.device()).isEqualTo("desktop");
        assertThat(view.deviceId()).isEqualTo(UUID.fromString(third.device().id()));
        assertThat(view.method()).isEqualTo("TOTP");
        assertThat(view.startedAt()).isEqualTo(fixture.base.clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS));
        assertThat(Duration.between(view.startedAt(), view.notAfter())).isBetween(Duration.ofMinutes(59), Duration.ofHours(1));
        assertThat(view.idleTimeout()).isEqualTo(Locations.DEFAULT_IDLE_TIMEOUT);
        assertThat(view.lastHandshake()).isEmpty();
        assertThat(view.endpoint()).isEmpty();
    }

    @Test
    void peersAnAdminAdmittedByHandAreNotSessions() {
        var admitted = fixture.base.admissions.admit("office", EnrollmentFixture.randomKey(), List.of("10.80.0.200/32"),
                Duration.ofHours(1));

        assertThat(fixture.sessions.list(Optional.empty(), Optional.empty())).isEmpty();
        assertThat(fixture.sessions.find(admitted.sessionId())).isEmpty();
        assertThat(fixture.sessions.revoke(admitted.sessionId(), Optional.empty(), SessionFixture.ADMIN)).isFalse();
        assertThat(fixture.rowExists(admitted.sessionId())).isTrue();
    }

    @Test
    void expiredSessionsAreNotListedOrFound() {
        SessionFixture.Started session = fixture.start(fixture.device("alice", "laptop"), "office", Duration.ofMinutes(1));
        fixture.base.clock.advance(Duration.ofMinutes(1));

        assertThat(fixture.sessions.list(Optional.empty(), Optional.empty())).isEmpty();
        assertThat(fixture.sessions.find(session.id())).isEmpty();
        assertThat(fixture.sessions.revoke(session.id(), Optional.empty(), SessionFixture.ADMIN)).isFalse();
    }

    @Test
    void revokeEvictsFromEveryGatewayAndRecordsTheReason() {
        SessionFixture.Started session = fixture.start("alice", "laptop", "office");
        SessionFixture.Started other = fixture.start("bob", "phone", "office");

        assertThat(fixture.sessions.revoke(session.id(), Optional.empty(), SessionFixture.ADMIN)).isTrue();

        assertThat(fixture.rowExists(session.id())).isFalse();
        assertThat(fixture.rowExists(other.id())).isTrue();
        assertThat(fixture.evictedAt(fixture.officeGateway)).containsExactly(session.id());
        assertThat(fixture.audit("tunnel.session.evicted")).containsExactly(new SessionFixture.Audit(
                "admin:test", "session:" + session.id(), "revoked", "office", "alice", "laptop"));
        // Gone now: a second revoke has nothing to end.
        assertThat(fixture.sessions.revoke(session.id(), Optional.empty(), SessionFixture.ADMIN)).isFalse();
        assertThat(fixture.evictedAt(fixture.officeGateway)).hasSize(1);
    }

    @Test
    void aUserCanRevokeOnlyTheirOwnSessions() {
        SessionFixture.Started alices = fixture.start("alice", "laptop", "office");
        UUID bob = UUID.fromString(fixture.user("bob").id());

        assertThat(fixture.sessions.revoke(alices.id(), Optional.of(bob), Actor.user("bob", "-"))).isFalse();
        assertThat(fixture.rowExists(alices.id())).isTrue();
        assertThat(fixture.evictedAt(fixture.officeGateway)).isEmpty();
        assertThat(fixture.audit("tunnel.session.evicted")).isEmpty();

        assertThat(fixture.sessions.revoke(alices.id(), Optional.of(UUID.fromString(alices.user().id())),
                Actor.user("alice", "-"))).isTrue();
        assertThat(fixture.audit("tunnel.session.evicted")).extracting(SessionFixture.Audit::actor).containsExactly("user:alice");
    }

    @Test
    void aReplacedSessionCannotBeRevokedByItsOldId() {
        SessionFixture.Started old = fixture.start("alice", "laptop", "office");
        SessionFixture.Started renewed = fixture.start(old.device(), "office", Duration.ofHours(8));

        assertThat(fixture.sessions.revoke(old.id(), Optional.empty(), SessionFixture.ADMIN)).isFalse();
        assertThat(fixture.rowExists(renewed.id())).isTrue();
    }

    @Test
    void malformedIdsNameNoSession() {
        assertThat(fixture.sessions.find("' OR 1=1 --")).isEmpty();
        assertThat(fixture.sessions.find(null)).isEmpty();
        assertThat(fixture.sessions.revoke("x".repeat(300), Optional.empty(), SessionFixture.ADMIN)).isFalse();
    }
}
