package dev.portcullis.agent.enroll;

import dev.portcullis.agent.api.EnrollmentApi;
import dev.portcullis.agent.api.EnrollmentApi.Completed;
import dev.portcullis.agent.api.EnrollmentApi.DeviceRegistered;
import dev.portcullis.agent.api.EnrollmentApi.Gateway;
import dev.portcullis.agent.api.EnrollmentApi.Location;
import dev.portcullis.agent.api.EnrollmentApi.RecoveryCodes;
import dev.portcullis.agent.api.EnrollmentApi.Redeemed;
import dev.portcullis.agent.api.EnrollmentApi.TotpStarted;
import dev.portcullis.agent.outcome.AgentFailure;
import dev.portcullis.agent.outcome.ExitCode;
import dev.portcullis.agent.state.DeviceKeys;
import dev.portcullis.agent.state.EnrollmentRecord;
import dev.portcullis.agent.state.StateDirectory;
import dev.portcullis.agent.terminal.Output;
import dev.portcullis.agent.terminal.Terminal;
import dev.portcullis.pki.enroll.InviteLink;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Enrolls this device from a terminal, as the steps of {@code enrollment/API.md}:
 * <ol>
 *   <li>{@link #checkLocalState} — refuse to overwrite an enrollment (unless forced) before the link is spent;</li>
 *   <li>{@link #verifyProxy} — TLS 1.3 to the link's origin, trusting only its {@code #ca=} pin;</li>
 *   <li>{@link #redeem} — spend the token, open the session (cookie + CSRF);</li>
 *   <li>{@link #requireNoSecurityKey} — a location that requires WebAuthn needs a browser: stop here;</li>
 *   <li>{@link #setPassword} — typed twice, or from a file; the server's rule message on refusal;</li>
 *   <li>{@link #registerTotp} — show the secret once, confirm a code;</li>
 *   <li>{@link #showRecoveryCodes} — show them once;</li>
 *   <li>{@link #createDeviceKeys} — generate both key pairs here and store them owner-only, before registering;</li>
 *   <li>{@link #registerDevice} — send only the public halves;</li>
 *   <li>{@link #complete} — end the session;</li>
 *   <li>{@link #saveEnrollment} — write {@code enrollment.json} (no secrets).</li>
 * </ol>
 */
public final class Enrollment {

    /**
     * Tries for a password or a TOTP code before giving up. The invite is already spent, so this
     * allows for typos; more would only help someone guessing, and core rate-limits as well.
     */
    public static final int MAX_ATTEMPTS = 3;
    private static final Pattern TOTP_CODE = Pattern.compile("[0-9]{6}");
    private static final Pattern BASE32 = Pattern.compile("[A-Z2-7]+=*");

    private final InviteLink invite;
    private final String deviceName;
    private final Password passwordFromFile;
    private final boolean force;
    private final StateDirectory state;
    private final Terminal terminal;
    private final Output output;
    private final Clock clock;

    public Enrollment(InviteLink invite, String deviceName, Password passwordFromFile, boolean force, StateDirectory state,
                      Terminal terminal, Output output, Clock clock) {
        this.invite = Objects.requireNonNull(invite);
        this.deviceName = Objects.requireNonNull(deviceName);
        this.passwordFromFile = passwordFromFile;
        this.force = force;
        this.state = Objects.requireNonNull(state);
        this.terminal = Objects.requireNonNull(terminal);
        this.output = Objects.requireNonNull(output);
        this.clock = Objects.requireNonNull(clock);
    }

    /** Runs every step; returns what was saved. Any failure is an {@link AgentFailure}. */
    public EnrollmentRecord run() {
        checkLocalState();
        EnrollmentClient client = verifyProxy();
        Redeemed redeemed = redeem(client);
        requireNoSecurityKey(redeemed);
        setPassword(client, redeemed);
        registerTotp(client);
        showRecoveryCodes(client);
        DeviceKeys keys = createDeviceKeys();
        DeviceRegistered registered = registerDevice(client, keys);
        complete(client);
        return saveEnrollment(redeemed, registered, keys);
    }

    void checkLocalState() {
        if (state.isEnrolled() && !force) {
            throw AgentFailure.localState("this device is already enrolled (" + state.path().resolve(StateDirectory.ENROLLMENT)
                    + "). Enrolling again replaces its keys: run the same command with --force if that is what you want, "
                    + "or use another --state-dir. The invite link was not used.");
        }
        state.checkUsable();
    }

    EnrollmentClient verifyProxy() {
        EnrollmentClient client = EnrollmentClient.forInvite(invite);
        output.step("Checking " + invite.origin() + " against the invite link's pin", client::verifyProxy);
        return client;
    }

    Redeemed redeem(EnrollmentClient client) {
        Redeemed redeemed = output.step("Redeeming invite", () -> client.redeem(invite.tokenText()));
        output.say("Enrolling " + Output.safe(redeemed.user().shownName())
                + (redeemed.user().email() == null ? "" : " (" + Output.safe(redeemed.user().email()) + ")"));
        return redeemed;
    }

    /**
     * WebAuthn needs an authenticator the browser talks to; a terminal cannot register one. Checked
     * right after redeem (the first moment the API says what is required), before any factor or
     * key is set up, so the account is left exactly as the invite found it.
     */
    void requireNoSecurityKey(Redeemed redeemed) {
        if (redeemed.requires().webauthn()) {
            throw new AgentFailure(ExitCode.NEEDS_BROWSER, "a location you are invited to requires a security key "
                    + "(WebAuthn), which only a web browser can register, so this device cannot enroll from the terminal. "
                    + "Nothing was set up on your account. Redeeming used up this invite link (the API cannot tell before): "
                    + "ask your administrator for a new invite link and open it in a web browser, with your security key "
                    + "at hand.");
        }
    }

    void setPassword(EnrollmentClient client, Redeemed redeemed) {
        if (redeemed.passwordRules() != null && !redeemed.passwordRules().isBlank()) {
            output.say("Choose a password. " + Output.safe(redeemed.passwordRules()));
        }
        for (int attempt = 1; ; attempt++) {
            Password password = passwordFromFile != null ? passwordFromFile : promptPassword(attempt);
            if (password == null) {
                continue; // the two entries differed; promptPassword said so and counted the attempt
            }
            try {
                output.step("Setting password", () -> client.postNoContent(EnrollmentApi.PASSWORD, Map.of("password", password.reveal())));
                return;
            } catch (ServerRefusal refusal) {
                if (!refusal.isInputRejected() || passwordFromFile != null || attempt >= MAX_ATTEMPTS) {
                    throw giveUp(refusal, attempt);
                }
                output.say(refusal.getMessage());
            } finally {
                password.wipe();
            }
        }
    }

    private Password promptPassword(int attempt) {
        Password first = taken(terminal.readSecret("New password: "));
        Password second = taken(terminal.readSecret("Repeat the password: "));
        try {
            if (first.isEmpty()) {
                output.say("Enter a password.");
            } else if (!first.sameAs(second)) {
                output.say("The two passwords differ.");
            } else {
                return first;
            }
        } finally {
            second.wipe();
        }
        first.wipe();
        if (attempt >= MAX_ATTEMPTS) {
            throw AgentFailure.usage("no password set after " + MAX_ATTEMPTS + " attempts");
        }
        return null;
    }

    void registerTotp(EnrollmentClient client) {
        TotpStarted started = output.step("Starting authenticator app (TOTP) registration",
                () -> client.post(EnrollmentApi.TOTP_START, Map.of(), 200, TotpStarted.class));
        if (started.secret() == null || !BASE32.matcher(started.secret()).matches()
                || started.otpauthUri() == null || !started.otpauthUri().startsWith("otpauth://totp/")) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server's TOTP secret is not in the expected form");
        }
        output.say("Add this account to your authenticator app:");
        output.say("  secret (Base32): " + started.secret());
        output.say("  or as a link:    " + Output.safe(started.otpauthUri()));
        for (int attempt = 1; ; attempt++) {
            String code = terminal.readLine("6-digit code from the app: ").strip();
            if (!TOTP_CODE.matcher(code).matches()) {
                if (attempt >= MAX_ATTEMPTS) {
                    throw AgentFailure.usage("no valid code entered after " + MAX_ATTEMPTS + " attempts");
                }
                output.say("Enter the 6 digits the app shows for Portcullis.");
                continue;
            }
            try {
                output.step("Checking the code", () -> client.postNoContent(EnrollmentApi.TOTP_CONFIRM, Map.of("code", code)));
                return;
            } catch (ServerRefusal refusal) {
                if (!refusal.isInputRejected() || attempt >= MAX_ATTEMPTS) {
                    throw giveUp(refusal, attempt);
                }
                output.say(refusal.getMessage());
            }
        }
    }

    void showRecoveryCodes(EnrollmentClient client) {
        RecoveryCodes codes = output.step("Getting recovery codes",
                () -> client.post(EnrollmentApi.RECOVERY_CODES, Map.of(), 200, RecoveryCodes.class));
        if (codes.codes() == null || codes.codes().isEmpty()) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server sent no recovery codes");
        }
        output.say("Recovery codes: store them offline now (print them or write them down, not on this device).");
        output.say("Each works once, if you lose your authenticator app. They will not be shown again:");
        for (String code : codes.codes()) {
            output.say("  " + Output.safe(code));
        }
    }

    DeviceKeys createDeviceKeys() {
        DeviceKeys keys = output.step("Generating this device's WireGuard key and device credential", DeviceKeys::generate);
        output.step("Saving them, readable only by you, in " + state.path(), () -> state.saveDeviceKeys(keys));
        return keys;
    }

    DeviceRegistered registerDevice(EnrollmentClient client, DeviceKeys keys) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", deviceName);
        body.put("wireguardPublicKey", keys.wireguardPublicKey().base64());
        body.put("credentialPublicKey", keys.credentialPublicKeyBase64());
        body.put("kind", EnrollmentApi.KIND_AGENT);
        DeviceRegistered registered = output.step("Registering device \"" + deviceName + "\"",
                () -> client.post(EnrollmentApi.DEVICES, body, 201, DeviceRegistered.class));
        checkRegistration(registered);
        return registered;
    }

    private static void checkRegistration(DeviceRegistered registered) {
        if (registered.device() == null || registered.device().id() == null || registered.device().id().isBlank()) {
            throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server did not say which device it registered");
        }
        for (Location location : registered.locations() == null ? List.<Location>of() : registered.locations()) {
            if (location == null || location.name() == null || location.address() == null) {
                throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server sent a location without a name or address");
            }
            for (Gateway gateway : location.gateways() == null ? List.<Gateway>of() : location.gateways()) {
                try {
                    WireGuardPublicKey.fromBase64(gateway.publicKey());
                } catch (RuntimeException e) {
                    throw new AgentFailure(ExitCode.SERVER_REFUSED, "the server sent a gateway of location \""
                            + Output.safe(location.name()) + "\" without a valid WireGuard public key");
                }
            }
        }
    }

    Completed complete(EnrollmentClient client) {
        return output.step("Completing enrollment", () -> client.post(EnrollmentApi.COMPLETE, Map.of(), 200, Completed.class));
    }

    EnrollmentRecord saveEnrollment(Redeemed redeemed, DeviceRegistered registered, DeviceKeys keys) {
        EnrollmentRecord record = new EnrollmentRecord(EnrollmentRecord.FORMAT, invite.origin().toString(),
                TrustAnchorPin.encode(invite.trustAnchorSha256()), redeemed.user(), registered.device(),
                keys.wireguardPublicKey().base64(), keys.credentialPublicKeyBase64(), registered.locations(),
                clock.instant().toString());
        output.step("Saving " + StateDirectory.ENROLLMENT, () -> state.saveEnrollment(record));
        return record;
    }

    private static AgentFailure giveUp(ServerRefusal refusal, int attempt) {
        if (refusal.isInputRejected() && attempt >= MAX_ATTEMPTS) {
            return new ServerRefusal(refusal.status(), refusal.getMessage() + " (giving up after " + MAX_ATTEMPTS
                    + " attempts; ask your administrator for a new invite link)");
        }
        return refusal;
    }

    /** Wraps what the user typed and wipes the terminal's array. */
    private static Password taken(char[] typed) {
        try {
            return new Password(typed);
        } finally {
            Arrays.fill(typed, '\0');
        }
    }
}
