package dev.portcullis.core.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.core.enroll.EnrollmentFixture;
import dev.portcullis.core.enroll.PublicClient;
import dev.portcullis.core.enroll.TotpCodes;
import dev.portcullis.core.publicapi.PublicApi;
import dev.portcullis.core.session.Sessions;
import dev.portcullis.enrollment.webauthn.SoftwareAuthenticator;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Core's tunnel-session API on real PostgreSQL, on top of {@link EnrollmentFixture} (registry,
 * locations, users, gateways faked at the link, a clock the test moves): devices are enrolled
 * through the real enrollment API, as the agent would, and then call {@code /api/v1/tunnel/*}
 * through {@link PublicApi} with signed requests.
 */
final class TunnelFixture implements AutoCloseable {

    static final String ORIGIN = EnrollmentFixture.ORIGIN;
    static final String PASSPHRASE = "correct horse battery staple";

    final EnrollmentFixture base = new EnrollmentFixture();
    final Sessions sessions = new Sessions(base.database, base.admissions, base.events, base.clock);
    final TunnelEndpoints tunnel = TunnelFactory.create(base.database, base.clock, base.sealer, base.events, base.locations,
            base.admissions, sessions, base.registry);
    final PublicApi api = new PublicApi(base.endpoints, tunnel);

    /** An enrolled agent device: its id, credential and WireGuard key, and its user's second factors. */
    record Agent(String user, String name, UUID deviceId, KeyPair credential, WireGuardPublicKey wireguardKey,
                 String totpSecret, SoftwareAuthenticator securityKey) {
    }

    /** Enrolls {@code user} (created here) with an agent device, TOTP and/or a security key. */
    Agent enroll(String user, String deviceName, boolean totp, boolean webauthn) throws Exception {
        base.user(user);
        PublicClient browser = base.redeemed(user);
        check(browser.post("/api/v1/enroll/password", "{\"password\":\"" + PASSPHRASE + "\"}"), 204);
        String secret = null;
        if (totp) {
            secret = browser.post("/api/v1/enroll/totp/start", "{}").json().path("secret").asText();
            check(browser.post("/api/v1/enroll/totp/confirm", "{\"code\":\"" + TotpCodes.at(secret, base.clock.instant()) + "\"}"),
                    204);
        }
        SoftwareAuthenticator key = null;
        if (webauthn) {
            key = new SoftwareAuthenticator(ORIGIN);
            PublicClient.Answer options = browser.post("/api/v1/enroll/webauthn/start", "{\"nickname\":\"YubiKey\"}");
            check(options, 200);
            check(browser.post("/api/v1/enroll/webauthn/finish", "{\"credential\":" + key.register(options.body()) + "}"), 204);
        }
        check(browser.post("/api/v1/enroll/recovery-codes", "{}"), 200);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair credential = generator.generateKeyPair();
        WireGuardPublicKey wireguard = EnrollmentFixture.randomKey();
        PublicClient.Answer device = browser.post("/api/v1/enroll/devices", "{\"name\":\"" + deviceName
                + "\",\"wireguardPublicKey\":\"" + wireguard.base64() + "\",\"credentialPublicKey\":\""
                + Base64.getEncoder().encodeToString(credential.getPublic().getEncoded()) + "\",\"kind\":\"agent\"}");
        check(device, 201);
        check(browser.post("/api/v1/enroll/complete", "{}"), 200);
        return new Agent(user, deviceName, UUID.fromString(device.json().path("device").path("id").asText()), credential,
                wireguard, secret, key);
    }

    DeviceClient device(Agent agent) {
        return new DeviceClient(api, base.edge, agent.deviceId(), agent.credential().getPrivate(), base.clock, "198.51.100.7");
    }

    PublicClient browser() {
        return new PublicClient(api, base.edge, ORIGIN, "203.0.113.50");
    }

    String code(Agent agent) {
        return TotpCodes.at(agent.totpSecret(), base.clock.instant());
    }

    long count(String sql, Object... parameters) {
        return base.database.inTransaction(c -> {
            try (PreparedStatement select = c.prepareStatement(sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    select.setObject(i + 1, parameters[i]);
                }
                try (ResultSet rs = select.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    /** How many chained audit records have this action (pending events are chained first). */
    long events(String action) {
        base.auditLog.sync();
        return count("SELECT count(*) FROM audit_records WHERE action = ?", action);
    }

    /** Every chained audit record (pending events are chained first), oldest first, one line each, without hashes. */
    List<String> audit() {
        base.auditLog.sync();
        return base.database.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT * FROM audit_records ORDER BY 1")) {
                List<String> lines = new ArrayList<>();
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder line = new StringBuilder();
                    for (int i = 1; i <= columns; i++) {
                        Object value = rs.getObject(i);
                        if (!(value instanceof byte[])) {
                            line.append(rs.getMetaData().getColumnName(i)).append('=').append(value).append(' ');
                        }
                    }
                    lines.add(line.toString());
                }
                return lines;
            }
        });
    }

    static void check(PublicClient.Answer answer, int status) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(status);
    }

    @Override
    public void close() {
        base.close();
    }
}
