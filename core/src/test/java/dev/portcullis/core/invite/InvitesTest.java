package dev.portcullis.core.invite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.component.ComponentSettings;
import dev.portcullis.core.enroll.EnrollmentFixture;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.enrollment.token.InviteToken;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.enroll.InviteLink;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issuing invites: the link, its edge-proxy and pin, expiry, superseding; and what refuses to issue one. */
class InvitesTest {

    private final EnrollmentFixture fixture = new EnrollmentFixture();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private IssuedInvite issue(String user, Optional<Duration> lifetime, Optional<String> via) {
        return fixture.invites.issue(user, lifetime, via, EnrollmentFixture.ADMIN);
    }

    private String storedPin(String edgeProxy) {
        return fixture.registry.publicEdges().stream().filter(e -> e.name().equals(edgeProxy)).findFirst().orElseThrow()
                .pin().orElseThrow();
    }

    @Test
    void theLinkPointsAtTheEdgeProxysOriginAndCarriesItsReportedPin() {
        fixture.user("alice");

        IssuedInvite invite = issue("alice", Optional.empty(), Optional.empty());

        String link = invite.link().toLinkString();
        assertThat(link).matches("https://access\\.example\\.com/enroll/[A-Za-z0-9_-]{43}#ca=[A-Za-z0-9_-]{43}");
        assertThat(link).endsWith("#ca=" + storedPin("edge-1"));
        assertThat(InviteLink.parse(link).tokenText()).isEqualTo(invite.link().tokenText());
        assertThat(invite.edgeProxy()).isEqualTo("edge-1");
        assertThat(invite.expiresAt()).isEqualTo(fixture.clock.instant().plus(Duration.ofHours(24)));
        assertThat(invite.toString()).doesNotContain(invite.link().tokenText());
        byte[] hash = InviteToken.parse(invite.link().tokenText()).orElseThrow().sha256();
        fixture.database.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT i.*, i::text AS row_text FROM invites i")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBytes("token_hash")).isEqualTo(hash);
                assertThat(rs.getString("row_text")).doesNotContain(invite.link().tokenText());
                assertThat(new String(rs.getBytes("token_hash"), StandardCharsets.ISO_8859_1))
                        .doesNotContain(invite.link().tokenText());
                assertThat(rs.getString("created_by")).isEqualTo("admin:test");
            }
            return null;
        });
    }

    @Test
    void expiryDefaultsToADayAndStaysBetweenAnHourAndAWeek() {
        fixture.user("alice");

        assertThat(issue("alice", Optional.of(Duration.ofHours(1)), Optional.empty()).expiresAt())
                .isEqualTo(fixture.clock.instant().plus(Duration.ofHours(1)));
        assertThat(issue("alice", Optional.of(Duration.ofDays(7)), Optional.empty()).expiresAt())
                .isEqualTo(fixture.clock.instant().plus(Duration.ofDays(7)));
        assertThatThrownBy(() -> issue("alice", Optional.of(Duration.ofMinutes(59)), Optional.empty()))
                .isInstanceOf(BadRequestException.class).hasMessage("an invite must expire between 1 hour and 7 days from now");
        assertThatThrownBy(() -> issue("alice", Optional.of(Duration.ofDays(8)), Optional.empty()))
                .isInstanceOf(BadRequestException.class);
    }

    @Test
    void aNewInviteSupersedesTheUnredeemedOnes() {
        fixture.user("alice");
        String first = issue("alice", Optional.empty(), Optional.empty()).link().tokenText();
        String second = issue("alice", Optional.empty(), Optional.empty()).link().tokenText();

        assertThat(fixture.browser().post("/api/v1/enroll/redeem", "{\"token\":\"" + first + "\"}").status()).isEqualTo(404);
        assertThat(fixture.browser().post("/api/v1/enroll/redeem", "{\"token\":\"" + second + "\"}").status()).isEqualTo(200);
    }

    @Test
    void aNewInviteEndsTheEnrollmentSessionOfAnEarlierOne() {
        fixture.user("alice");
        var browser = fixture.redeemed("alice");

        issue("alice", Optional.empty(), Optional.empty());

        assertThat(browser.get("/api/v1/enroll/session").status()).isEqualTo(401);
    }

    @Test
    void withoutAPublicOriginTheErrorSaysHowToSetOne() {
        fixture.user("alice");
        fixture.registry.remove("edge-1");
        fixture.registry.register("edge-2", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);

        assertThatThrownBy(() -> issue("alice", Optional.empty(), Optional.empty()))
                .isInstanceOf(ConflictException.class)
                .hasMessage("no edge-proxy has a public origin; set the edge-proxy's public origin with "
                        + "`portcullis-admin component set edge-2 --public-origin https://…`");
        assertThatThrownBy(() -> issue("alice", Optional.empty(), Optional.of("edge-2")))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("component set edge-2 --public-origin https://");
        fixture.registry.remove("edge-2");
        assertThatThrownBy(() -> issue("alice", Optional.empty(), Optional.empty()))
                .isInstanceOf(ConflictException.class).hasMessageStartingWith("no edge-proxy is registered");
    }

    @Test
    void anEdgeProxyThatNeverReportedItsPinCannotCarryAnInvite() {
        fixture.user("alice");
        fixture.registry.remove("edge-1");
        fixture.registry.register("edge-2", PeerIdentity.Role.EDGE_PROXY, "127.0.0.1", 7443);
        fixture.registry.updateSettings("edge-2", new ComponentSettings.Change(Optional.of("https://vpn.example.org"),
                Optional.empty(), Optional.empty(), Optional.empty()));

        assertThatThrownBy(() -> issue("alice", Optional.empty(), Optional.empty()))
                .isInstanceOf(ConflictException.class)
                .hasMessageStartingWith("edge-proxy 'edge-2' has not reported the pin of its public TLS certificate yet");
    }

    @Test
    void withSeveralEdgeProxiesTheAdminChoosesOneWithVia() {
        fixture.user("alice");
        fixture.edgeProxy("edge-2", "https://vpn.example.org:8443");

        assertThatThrownBy(() -> issue("alice", Optional.empty(), Optional.empty()))
                .isInstanceOf(ConflictException.class)
                .hasMessage("several edge proxies have a public origin (edge-1, edge-2); choose one with --via NAME");
        IssuedInvite via = issue("alice", Optional.empty(), Optional.of("edge-2"));
        assertThat(via.link().toLinkString()).startsWith("https://vpn.example.org:8443/enroll/")
                .endsWith("#ca=" + storedPin("edge-2"));
        assertThat(TrustAnchorPin.decode(storedPin("edge-2"))).hasSize(32);
        assertThatThrownBy(() -> issue("alice", Optional.empty(), Optional.of("edge-9")))
                .isInstanceOf(NotFoundException.class).hasMessage("no edge-proxy named 'edge-9'");
    }

    @Test
    void onlyUsersWaitingToEnrollCanBeInvited() {
        fixture.user("alice");
        fixture.users.disable("alice", EnrollmentFixture.ADMIN);

        assertThatThrownBy(() -> issue("alice", Optional.empty(), Optional.empty()))
                .isInstanceOf(ConflictException.class).hasMessageStartingWith("user 'alice' is disabled; enable them first");
        assertThatThrownBy(() -> issue("nobody", Optional.empty(), Optional.empty()))
                .isInstanceOf(NotFoundException.class).hasMessage("no user named 'nobody'");
        fixture.user("enrolled");
        fixture.database.inTransaction(c -> c.createStatement().executeUpdate(
                "UPDATE users SET state = 'ACTIVE', enrolled_at = now() WHERE name = 'enrolled'"));
        assertThatThrownBy(() -> issue("enrolled", Optional.empty(), Optional.empty()))
                .isInstanceOf(ConflictException.class).hasMessageStartingWith("user 'enrolled' has already enrolled");
        fixture.registry.remove("edge-1");
        assertThatThrownBy(() -> issue("nobody", Optional.empty(), Optional.empty()))
                .as("the user is checked before the edge-proxy").hasMessage("no user named 'nobody'");
    }
}
