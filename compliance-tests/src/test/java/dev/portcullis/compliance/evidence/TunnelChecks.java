package dev.portcullis.compliance.evidence;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tunnel checks of the compliance suite: what a user, a thief and a stopped core do to one
 * enrolled device's tunnel, seen from the device (the agent's exit code and message, a ping) and
 * from the gateway (its WireGuard peers). Each takes a {@link TunnelTarget}, so the same code runs
 * against the deployment and against one broken on purpose, and each returns a {@link Check}: a
 * failing control is a FAIL with the observations that show why, never an exception.
 * <p>
 * Every check that can leave something behind (a tunnel, a lockout, a stopped core, a short
 * session lifetime) undoes it before it ends, also when it fails, and records that as an
 * observation after the steps. No TOTP code, key or secret is ever observed: codes are shown as
 * "(code not shown)"; the device's public key is shown, as the gateway lists it.
 * <p>
 * The checks run one after another on one device (they share its user's failure count and its
 * authenticator app's time steps), never in parallel.
 */
public final class TunnelChecks {

    /** From a successful {@code up} to the first ping answered: a WireGuard handshake and a route, seconds at most. */
    static final Duration REACH_WITHIN = Duration.ofSeconds(15);
    /** From {@code down} (core ends the session and evicts the peer before it answers) until the gateway no longer lists it. */
    static final Duration PEER_GONE_WITHIN = Duration.ofSeconds(10);
    /** One ping that is meant to get no answer waits this long for it. */
    static final Duration NO_REACH_WAIT = Duration.ofSeconds(2);
    /**
     * A lockout that has not come after this many wrong codes answered "did not match" is none an
     * auditor can rely on (core locks at the 5th failure; failures counted before the check only
     * make it come sooner; answers "try again in N s" are waited out and not counted).
     */
    static final int MAX_WRONG_CODES = 10;
    /** Wall-clock bound of the brute force, including waits for "try again in N seconds" (core's delays add up to 7 s). */
    static final Duration LOCKOUT_WITHIN = Duration.ofMinutes(2);
    /** A "try again in N seconds" longer than this is not waited out by a positive control (it fails instead). */
    static final Duration LONGEST_HONOURED_DELAY = Duration.ofSeconds(60);
    /** The session lifetime the expiry check sets: core's shortest, so the check takes about a minute. */
    static final String TEST_SESSION_LIFETIME = "1m";
    /** A session end further away than this means the short lifetime was not applied; the check does not wait for it. */
    static final Duration LONGEST_TEST_SESSION = Duration.ofMinutes(5);
    /** After notAfter the gateway has this long to remove the peer (its expiry timer, with slack for a busy machine). */
    static final Duration EVICTION_GRACE = Duration.ofSeconds(20);
    /** After the eviction, peers and traffic are watched this long more: a peer put back, or still passing traffic, fails. */
    static final Duration STAYS_GONE_FOR = Duration.ofSeconds(3);
    /** Between two reads of the gateway's peers while waiting: short against the bounds above, cheap for the gateway. */
    static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    /** The agent's refusal while a delay runs: core's "Try again in N seconds." or the agent's "(try again in N s)". */
    private static final Pattern TRY_AGAIN = Pattern.compile("(?i)try again in (\\d+) s");
    /** What core tells the agent after a counted failure, e.g. "(3 attempts left; ...)". */
    private static final Pattern ATTEMPTS_LEFT = Pattern.compile("(\\d+) attempts? left");
    /** How the agent prints a failure in {@code --json} mode ({@code Output.error}). */
    private static final String AGENT_MESSAGE_PREFIX = "portcullis-agent:";
    static final String CODE_NOT_SHOWN = "(code not shown)";

    private TunnelChecks() {
    }

    // ---- PC-08 no tunnel without MFA ---------------------------------------------------------------------

    /**
     * PC-08: without a session the device's key is no peer of the gateway; {@code up} with a wrong
     * code fails and leaves no peer; the device's key alone (a thief's copy, no session key) gets no
     * handshake; nothing behind the gateway answers the device. Then, as the positive control that
     * keeps a tunnel that never works from passing, {@code up} with a fresh code succeeds, the key is
     * a peer and the service behind the gateway answers. Ends with {@code down}.
     */
    public static Check noTunnelWithoutMfa(TunnelTarget target) {
        Check.Run run = Check.start("PC-08", "No tunnel without MFA: the device key alone admits nothing",
                Control.soc2("CC6.1"), Control.iso27001("A.8.5"), Control.nist("IA-2(1)"), Control.nist("AC-17"));
        Verdict verdict;
        boolean mayBeUp = false;
        try {
            observe(run, "start from no session of this device (portcullis-agent down)", target.down(), null);
            List<String> problems = new ArrayList<>();
            if (isPeer(run, target, "with no session")) {
                problems.add("with no session the device key " + target.deviceKey() + " is a peer of the gateway");
            }
            TunnelTarget.AgentRun wrong = up(run, target, target.wrongCode(), "a wrong code");
            if (wrong.exitCode() == 0) {
                mayBeUp = true;
                problems.add("up with a wrong code succeeded: " + messageLine(wrong));
            }
            if (isPeer(run, target, "after up with a wrong code")) {
                problems.add("after up with a wrong code the device key is a peer of the gateway");
            }
            long handshake = target.handshakeWithTheDeviceKeyAlone();
            run.observe("a plain WireGuard interface with the device's private key alone, the gateway as its peer, "
                    + "traffic for a few seconds (wg show latest-handshakes)", "at " + Instant.now()
                    + "\nlatest handshake: " + handshake + (handshake == 0 ? " (never)" : " (" + Instant.ofEpochSecond(handshake) + ")"));
            if (handshake != 0) {
                problems.add("the device key alone got a handshake from the gateway at " + Instant.ofEpochSecond(handshake));
            }
            if (reaches(run, target, "without a session", NO_REACH_WAIT)) {
                problems.add("the device reached the service behind the gateway without a session");
            }
            String code = target.freshCode();
            TunnelTarget.AgentRun right = upHonouringDelays(run, target, code, "a fresh code");
            mayBeUp |= right.exitCode() == 0;
            if (right.exitCode() != 0) {
                problems.add("positive control: up with a fresh code failed (exit " + right.exitCode() + ": "
                        + messageLine(right) + "), so the refusals above prove nothing");
            } else if (!isPeer(run, target, "after up with a fresh code")) {
                problems.add("positive control: after up with a fresh code the device key is no peer of the gateway");
            } else if (!awaitReach(run, target, "after up with a fresh code", REACH_WITHIN)) {
                problems.add("positive control: after up with a fresh code the service behind the gateway did not answer within "
                        + REACH_WITHIN.toSeconds() + " s");
            }
            verdict = problems.isEmpty()
                    ? Verdict.pass("without a session the device key was no peer; a wrong code was refused (exit "
                    + wrong.exitCode() + ": " + messageLine(wrong) + ") and admitted nothing; the key alone got no handshake "
                    + "and reached nothing; with a fresh code the tunnel came up and reached the service")
                    : Verdict.fail(String.join("; ", problems));
        } catch (Exception e) {
            verdict = Verdict.error(e);
        }
        cleanUpDown(run, target);
        if (mayBeUp || verdict.passed()) {
            peerGone(run, target, "after the check's down");
        }
        return verdict.end(run);
    }

    // ---- PC-09 a TOTP code is accepted once ---------------------------------------------------------------

    /**
     * PC-09: a fresh code brings the tunnel up; after {@code down} the same code is refused as
     * already used and admits nothing. A refusal for another reason (the code left its time window,
     * say) does not evidence replay protection and fails the check.
     */
    public static Check totpCodeIsAcceptedOnce(TunnelTarget target) {
        Check.Run run = Check.start("PC-09", "A TOTP code is accepted once",
                Control.soc2("CC6.1"), Control.iso27001("A.8.5"), Control.nist("IA-2(1)"), Control.nist("IA-2(8)"));
        Verdict verdict;
        boolean mayBeUp = false;
        try {
            String code = target.freshCode();
            TunnelTarget.AgentRun first = upHonouringDelays(run, target, code, "a fresh code, first use");
            Instant firstUse = Instant.now();
            mayBeUp = first.exitCode() == 0;
            if (first.exitCode() != 0) {
                verdict = Verdict.fail("the fresh code was refused on its first use (exit " + first.exitCode() + ": "
                        + messageLine(first) + "); nothing to replay");
            } else {
                isPeer(run, target, "after the first use");
                TunnelTarget.AgentRun down = target.down();
                observe(run, "take the tunnel down before the replay", down, null);
                mayBeUp = false;
                if (down.exitCode() != 0 || !peerGone(run, target, "after down")) {
                    verdict = Verdict.fail("down did not take the device off the gateway (exit " + down.exitCode() + ": "
                            + messageLine(down) + "), so a replay cannot be judged");
                } else {
                    TunnelTarget.AgentRun replay = upHonouringDelays(run, target, code, "the same code again, "
                            + Duration.between(firstUse, Instant.now()).toSeconds() + " s after its first use");
                    mayBeUp = replay.exitCode() == 0;
                    boolean peer = isPeer(run, target, "after the replay");
                    if (replay.exitCode() == 0) {
                        verdict = Verdict.fail("the same code brought the tunnel up a second time: " + messageLine(replay));
                    } else if (peer) {
                        verdict = Verdict.fail("the replay was refused (exit " + replay.exitCode() + ") but the device key is a "
                                + "peer of the gateway");
                    } else if (!said(replay).contains("already used")) {
                        verdict = Verdict.fail("the replay was refused, but not as a replay (exit " + replay.exitCode() + ": "
                                + messageLine(replay) + "): the code may have left its time window, so replay protection "
                                + "is not evidenced");
                    } else {
                        verdict = Verdict.pass("the fresh code brought the tunnel up once; the same code again was refused (exit "
                                + replay.exitCode() + ": " + messageLine(replay) + ") and admitted nothing");
                    }
                }
            }
        } catch (Exception e) {
            verdict = Verdict.error(e);
        }
        if (mayBeUp) {
            cleanUpDown(run, target);
        }
        return verdict.end(run);
    }

    // ---- PC-10 repeated wrong codes lock the user out -----------------------------------------------------

    /**
     * PC-10: wrong codes, one after another (waiting out each "try again in N seconds"), until the
     * agent reports the lockout, within {@link #MAX_WRONG_CODES} wrong codes and
     * {@link #LOCKOUT_WITHIN}; then even a fresh right code is refused and admits nothing, and the
     * audit log gained tunnel.mfa.failed and tunnel.mfa.locked about the user. The lockout is lifted
     * afterwards ({@link TunnelTarget#unlockUser()}), also when the check fails, so later checks
     * start clean; that is recorded, and does not change the verdict.
     */
    public static Check repeatedWrongCodesLockTheUserOut(TunnelTarget target) {
        Check.Run run = Check.start("PC-10", "Repeated wrong codes lock the user out",
                Control.soc2("CC6.1"), Control.iso27001("A.8.5"), Control.nist("AC-7"));
        Verdict verdict;
        boolean mayBeUp = false;
        try {
            int auditBefore = target.auditActionsAboutUser().size();
            Instant started = Instant.now();
            long deadline = System.nanoTime() + LOCKOUT_WITHIN.toNanos();
            int notMatching = 0;
            int waits = 0;
            int runs = 0;
            String leftAfterFirst = null;
            boolean locked = false;
            String unexpected = null;
            while (!locked && unexpected == null && notMatching < MAX_WRONG_CODES && System.nanoTime() < deadline) {
                TunnelTarget.AgentRun attempt = up(run, target, target.wrongCode(), "a wrong code, attempt " + ++runs);
                String said = said(attempt);
                Matcher retry = TRY_AGAIN.matcher(said);
                if (attempt.exitCode() == 0) {
                    mayBeUp = true;
                    unexpected = "a wrong code brought the tunnel up: " + messageLine(attempt);
                } else if (said.contains("locked")) {
                    locked = true;
                } else if (said.contains("did not match") || said.contains("already used")) {
                    notMatching++;
                    Matcher left = ATTEMPTS_LEFT.matcher(said);
                    if (leftAfterFirst == null && left.find()) {
                        leftAfterFirst = left.group(1);
                    }
                } else if (retry.find()) {
                    long seconds = Long.parseLong(retry.group(1));
                    long left = Duration.ofNanos(deadline - System.nanoTime()).toSeconds();
                    if (seconds > left) {
                        run.observe("wait", "core asks for " + seconds + " s, more than the " + left + " s left of the "
                                + LOCKOUT_WITHIN.toSeconds() + " s bound; stopping");
                        break;
                    }
                    waits++;
                    run.observe("wait", "at " + Instant.now() + ": waiting " + seconds + " s as the agent said");
                    Thread.sleep(seconds * 1000 + 200);
                } else {
                    unexpected = "unexpected answer to a wrong code (exit " + attempt.exitCode() + "): " + messageLine(attempt);
                }
            }
            String counts = notMatching + " answered \"did not match\""
                    + (leftAfterFirst == null ? "" : " (the first with " + leftAfterFirst + " attempt(s) left)") + ", "
                    + waits + " \"try again in N s\" waited out (not counted by core)";
            run.observe("the brute force", "from " + started + " to " + Instant.now() + "\nwrong codes sent: " + runs
                    + "\n" + counts + "\nlocked: " + (locked ? "yes, at wrong code " + runs : "no")
                    + "\n(failures core counted before this check, within its count window, bring the lock sooner)");
            if (unexpected != null) {
                verdict = Verdict.fail(unexpected);
            } else if (!locked) {
                verdict = Verdict.fail("no lockout after " + runs + " wrong codes (" + counts + ") in "
                        + Duration.between(started, Instant.now()).toSeconds() + " s (bounds: " + MAX_WRONG_CODES
                        + " answered \"did not match\", " + LOCKOUT_WITHIN.toSeconds() + " s)");
            } else {
                TunnelTarget.AgentRun right = up(run, target, target.freshCode(), "a fresh right code, while locked");
                mayBeUp = right.exitCode() == 0;
                boolean peer = isPeer(run, target, "after the right code while locked");
                List<String> audit = newSince(target.auditActionsAboutUser(), auditBefore);
                run.observe("audit actions about user " + target.user() + " recorded during the check",
                        audit.isEmpty() ? "(none)" : String.join("\n", audit));
                List<String> missing = new ArrayList<>();
                for (String action : List.of("tunnel.mfa.failed", "tunnel.mfa.locked")) {
                    if (!audit.contains(action)) {
                        missing.add(action);
                    }
                }
                if (right.exitCode() == 0 || peer) {
                    verdict = Verdict.fail("locked at wrong code " + runs + ", but a right code still brought the tunnel up"
                            + " (exit " + right.exitCode() + ", device key " + (peer ? "a" : "no") + " peer)");
                } else if (!said(right).contains("locked")) {
                    verdict = Verdict.fail("the right code was refused, but not for the lockout (exit " + right.exitCode() + ": "
                            + messageLine(right) + "): the lockout's effect on a right code is not evidenced");
                } else if (!missing.isEmpty()) {
                    verdict = Verdict.fail("locked out, but the audit log has no " + String.join(" and no ", missing)
                            + " about user " + target.user() + " from this check");
                } else {
                    verdict = Verdict.pass("locked out at wrong code " + runs + " of this check (" + counts
                            + "); then the right code was refused (exit " + right.exitCode() + ": "
                            + messageLine(right) + ") and admitted nothing; the audit log recorded tunnel.mfa.failed and "
                            + "tunnel.mfa.locked");
                }
            }
        } catch (Exception e) {
            verdict = Verdict.error(e);
        }
        if (mayBeUp) {
            cleanUpDown(run, target);
        }
        try {
            target.unlockUser();
            run.observe("clean-up: lift the lockout (user unlock " + target.user() + ")", "at " + Instant.now() + ": done");
        } catch (Exception e) {
            run.observe("clean-up: lift the lockout (user unlock " + target.user() + ")", "at " + Instant.now()
                    + ": FAILED, later checks of this user may be refused: " + e);
        }
        return verdict.end(run);
    }

    // ---- PC-11 the gateway ends an expired session with core down ------------------------------------------

    /**
     * PC-11: with the location's session lifetime set to {@link #TEST_SESSION_LIFETIME}, a session
     * is brought up and core is stopped. While before the session's end (notAfter) the tunnel still
     * works (the positive control: the gateway, not core's absence, ends it); then the gateway must
     * remove the device's peer by itself, not before notAfter and at the latest
     * {@link #EVICTION_GRACE} after it, it must stay removed and nothing behind the gateway may
     * answer any more. Core is always started again; the tunnel is taken down and the location's
     * lifetime is set to {@code restoreLifetime} (the target's lifetime before the check, e.g. "8h",
     * core's default: a target does not report it, so the caller says what to restore).
     */
    public static Check gatewayEndsAnExpiredSessionWithCoreDown(TunnelTarget target, String restoreLifetime) {
        Check.Run run = Check.start("PC-11", "The gateway ends an expired session by itself while core is down",
                Control.soc2("CC6.1"), Control.iso27001("A.8.5"), Control.nist("AC-12"));
        Verdict verdict;
        boolean coreStopped = false;
        boolean mayBeUp = false;
        boolean lifetimeSet = false;
        try {
            target.setSessionLifetime(TEST_SESSION_LIFETIME);
            lifetimeSet = true;
            run.observe("location set " + target.location() + " --session-lifetime " + TEST_SESSION_LIFETIME,
                    "at " + Instant.now() + ": done");
            TunnelTarget.AgentRun up = upHonouringDelays(run, target, target.freshCode(), "a fresh code");
            Instant upAt = Instant.now();
            mayBeUp = up.exitCode() == 0;
            verdict = null;
            if (up.exitCode() != 0) {
                verdict = Verdict.fail("up with a fresh code failed (exit " + up.exitCode() + ": " + messageLine(up)
                        + "); no session to expire");
            } else if (!awaitReach(run, target, "after up", REACH_WITHIN)) {
                verdict = Verdict.fail("the tunnel did not reach the service within " + REACH_WITHIN.toSeconds()
                        + " s of up; its end would prove nothing");
            }
            Instant notAfter = null;
            if (verdict == null) {
                notAfter = target.liveSessionNotAfter();
                run.observe("the live session's notAfter (core's admin API)", notAfter + " (" + Duration.between(upAt, notAfter)
                        .toSeconds() + " s after up)");
                if (notAfter.isAfter(upAt.plus(LONGEST_TEST_SESSION))) {
                    verdict = Verdict.fail("the session ends at " + notAfter + ", more than " + LONGEST_TEST_SESSION.toMinutes()
                            + " min after up: the lifetime " + TEST_SESSION_LIFETIME + " was not applied");
                }
            }
            if (verdict == null) {
                target.stopCore();
                coreStopped = true;
                Instant stoppedAt = Instant.now();
                run.observe("stop core", "core stopped at " + stoppedAt + ", " + Duration.between(stoppedAt, notAfter).toSeconds()
                        + " s before notAfter");
                verdict = expiry(run, target, notAfter);
            }
        } catch (Exception e) {
            verdict = Verdict.error(e);
        }
        if (coreStopped) {
            try {
                target.startCore();
                run.observe("clean-up: start core again", "at " + Instant.now() + ": core running, gateway and edge-proxy connected");
            } catch (Exception e) {
                run.observe("clean-up: start core again", "at " + Instant.now() + ": FAILED: " + e);
            }
        }
        if (mayBeUp) {
            cleanUpDown(run, target);
        }
        if (lifetimeSet) {
            try {
                target.setSessionLifetime(restoreLifetime);
                run.observe("clean-up: location set " + target.location() + " --session-lifetime " + restoreLifetime,
                        "at " + Instant.now() + ": done");
            } catch (Exception e) {
                run.observe("clean-up: location set " + target.location() + " --session-lifetime " + restoreLifetime,
                        "at " + Instant.now() + ": FAILED: " + e);
            }
        }
        return verdict.end(run);
    }

    /** With core stopped: the tunnel works until notAfter, then the peer goes (not early, not late) and stays gone. */
    private static Verdict expiry(Check.Run run, TunnelTarget target, Instant notAfter) throws Exception {
        Duration beforeEnd = Duration.between(Instant.now(), notAfter).minusSeconds(1);
        if (beforeEnd.isNegative() || !awaitReach(run, target, "with core stopped, before notAfter", beforeEnd)) {
            return Verdict.fail("with core stopped the tunnel did not reach the service before notAfter " + notAfter
                    + ", so its end proves nothing about the gateway's expiry");
        }
        Instant deadline = notAfter.plus(EVICTION_GRACE);
        int polls = 0;
        boolean peer = true;
        while (peer && Instant.now().isBefore(deadline)) {
            peer = target.gatewayPeers().contains(target.deviceKey());
            polls++;
            if (peer) {
                Thread.sleep(POLL_INTERVAL.toMillis());
            }
        }
        Instant seen = Instant.now();
        run.observe("gateway peers, read every " + POLL_INTERVAL.toMillis() + " ms until the device key is gone or notAfter + "
                + EVICTION_GRACE.toSeconds() + " s (" + deadline + ")", "notAfter " + notAfter + "\n" + polls + " reads; at "
                + seen + " the device key " + (peer ? "was STILL a peer" : "was gone") + " ("
                + Duration.between(notAfter, seen).toMillis() + " ms after notAfter)");
        if (peer) {
            reaches(run, target, "after the grace, device key still a peer", NO_REACH_WAIT);
            return Verdict.fail("the device key was still a peer of the gateway " + EVICTION_GRACE.toSeconds()
                    + " s after the session's end " + notAfter + " (core stopped): the gateway does not enforce expiry");
        }
        if (seen.isBefore(notAfter)) {
            return Verdict.fail("the peer was removed at " + seen + ", before the session's end " + notAfter
                    + ": not the expiry removed it");
        }
        Instant watchFrom = Instant.now();
        long watchUntil = System.nanoTime() + STAYS_GONE_FOR.toNanos();
        List<String> after = new ArrayList<>();
        int reads = 0;
        while (after.isEmpty() && System.nanoTime() < watchUntil) {
            reads++;
            if (target.gatewayPeers().contains(target.deviceKey())) {
                after.add("the device key was a peer again at " + Instant.now());
            }
            if (target.reachesServiceBehindGateway(Duration.ofSeconds(1))) {
                after.add("the device reached the service behind the gateway at " + Instant.now());
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
        run.observe("gateway peers and a ping from the device, every " + POLL_INTERVAL.toMillis() + " ms for "
                + STAYS_GONE_FOR.toSeconds() + " s after the eviction", "from " + watchFrom + " to " + Instant.now() + ", "
                + reads + " rounds: " + (after.isEmpty() ? "the device key never a peer, no ping answered" : String.join("; ", after)));
        if (!after.isEmpty()) {
            return Verdict.fail("the gateway removed the peer " + Duration.between(notAfter, seen).toMillis()
                    + " ms after notAfter, but " + String.join("; ", after));
        }
        return Verdict.pass("with core stopped the tunnel worked until its end; the gateway removed the peer by itself "
                + Duration.between(notAfter, seen).toMillis() + " ms after notAfter " + notAfter
                + " (bound " + EVICTION_GRACE.toSeconds() + " s), it stayed gone and nothing behind the gateway answered");
    }

    // ---- steps shared by the checks ----------------------------------------------------------------------

    /** The verdict of a check's steps, decided before its clean-up so the clean-up's observations precede it. */
    private record Verdict(boolean passed, String reason, Exception error) {
        static Verdict pass(String reason) {
            return new Verdict(true, reason, null);
        }

        static Verdict fail(String reason) {
            return new Verdict(false, reason, null);
        }

        static Verdict error(Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return new Verdict(false, null, e);
        }

        Check end(Check.Run run) {
            if (error != null) {
                return run.error(error);
            }
            return passed ? run.pass(reason) : run.fail(reason);
        }
    }

    /** {@code up} with a code on stdin, observed with the code left out. */
    private static TunnelTarget.AgentRun up(Check.Run run, TunnelTarget target, String code, String which) throws Exception {
        Instant at = Instant.now();
        TunnelTarget.AgentRun result = target.up(code);
        observe(run, "stdin: " + which + " " + CODE_NOT_SHOWN, result, code, at);
        return result;
    }

    /**
     * {@code up} where a refusal would spoil a positive control: a "try again in N seconds" (a delay
     * other failures caused, e.g. of the source address) is waited out and the same code sent again,
     * within {@link #LONGEST_HONOURED_DELAY} in all.
     */
    private static TunnelTarget.AgentRun upHonouringDelays(Check.Run run, TunnelTarget target, String code, String which)
            throws Exception {
        long deadline = System.nanoTime() + LONGEST_HONOURED_DELAY.toNanos();
        while (true) {
            TunnelTarget.AgentRun result = up(run, target, code, which);
            String said = said(result);
            Matcher retry = TRY_AGAIN.matcher(said);
            if (result.exitCode() == 0 || said.contains("locked") || !retry.find()) {
                return result;
            }
            long millis = Long.parseLong(retry.group(1)) * 1000 + 200;
            if (System.nanoTime() + Duration.ofMillis(millis).toNanos() > deadline) {
                return result;
            }
            run.observe("wait", "at " + Instant.now() + ": waiting " + retry.group(1) + " s as the agent said, then the same code again");
            Thread.sleep(millis);
        }
    }

    private static void observe(Check.Run run, String what, TunnelTarget.AgentRun result, String code) {
        observe(run, what, result, code, null);
    }

    private static void observe(Check.Run run, String what, TunnelTarget.AgentRun result, String code, Instant at) {
        Instant ended = Instant.now();
        String timing = at == null ? "ended " + ended : "at " + at + " (took " + Duration.between(at, ended).toMillis() + " ms)";
        run.observe(String.join(" ", result.commandLine()) + "  (" + what + ")", redact(timing + "\nexit " + result.exitCode()
                + "\nmessage: " + messageLine(result) + "\n--- stderr:\n" + result.stderr().strip() + "\n--- stdout:\n"
                + result.stdout().strip(), code));
    }

    /** The one line a person reads: the agent's error line, else its last line on stderr. */
    static String messageLine(TunnelTarget.AgentRun result) {
        List<String> lines = result.stderr().strip().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(AGENT_MESSAGE_PREFIX)) {
                return lines.get(i);
            }
        }
        if (!lines.isEmpty()) {
            return lines.get(lines.size() - 1);
        }
        String out = result.stdout().strip();
        return out.isEmpty() ? "(no message)" : out.lines().findFirst().orElse("");
    }

    private static String said(TunnelTarget.AgentRun result) {
        return result.said().toLowerCase(Locale.ROOT);
    }

    /** The code never appears in an observation, whatever the agent printed. */
    static String redact(String text, String code) {
        return code == null || code.isEmpty() ? text : text.replace(code, CODE_NOT_SHOWN);
    }

    /** Whether the device key is a gateway peer now, observed. */
    private static boolean isPeer(Check.Run run, TunnelTarget target, String moment) throws Exception {
        List<String> peers = target.gatewayPeers();
        boolean present = peers.contains(target.deviceKey());
        run.observe("gateway peers (wg show <interface> peers) " + moment, "at " + Instant.now() + "\ndevice key "
                + target.deviceKey() + (present ? " IS a peer" : " is not a peer") + "\n" + peers.size() + " peer(s)"
                + (peers.isEmpty() ? "" : ": " + String.join(" ", peers)));
        return present;
    }

    /** Polls until the device key is no gateway peer, at most {@link #PEER_GONE_WITHIN}; observed once. */
    private static boolean peerGone(Check.Run run, TunnelTarget target, String moment) {
        try {
            long deadline = System.nanoTime() + PEER_GONE_WITHIN.toNanos();
            boolean present = target.gatewayPeers().contains(target.deviceKey());
            while (present && System.nanoTime() < deadline) {
                Thread.sleep(POLL_INTERVAL.toMillis());
                present = target.gatewayPeers().contains(target.deviceKey());
            }
            run.observe("gateway peers " + moment + " (read until the device key is gone, at most " + PEER_GONE_WITHIN.toSeconds()
                    + " s)", "at " + Instant.now() + ": device key " + target.deviceKey() + (present ? " STILL a peer" : " not a peer"));
            return !present;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            run.observe("gateway peers " + moment, "could not be read: " + e);
            return false;
        }
    }

    /** One ping through the tunnel, observed. */
    private static boolean reaches(Check.Run run, TunnelTarget target, String moment, Duration wait) throws Exception {
        Instant at = Instant.now();
        boolean reached = target.reachesServiceBehindGateway(wait);
        run.observe("ping from the device to the service behind the gateway " + moment + " (wait " + wait.toSeconds() + " s)",
                "at " + at + ": " + (reached ? "ANSWERED" : "no answer"));
        return reached;
    }

    /** Pings until one is answered, at most {@code within}; observed once with the number of pings. */
    private static boolean awaitReach(Check.Run run, TunnelTarget target, String moment, Duration within) throws Exception {
        Instant at = Instant.now();
        long deadline = System.nanoTime() + within.toNanos();
        int pings = 0;
        boolean reached = false;
        while (!reached && (pings == 0 || System.nanoTime() < deadline)) {
            reached = target.reachesServiceBehindGateway(Duration.ofSeconds(1));
            pings++;
        }
        run.observe("ping from the device to the service behind the gateway " + moment + " (until answered, at most "
                + within.toSeconds() + " s)", "from " + at + ": " + (reached ? "answered at " + Instant.now() : "no answer")
                + " after " + pings + " ping(s)");
        return reached;
    }

    /** Takes the tunnel down at the end of a check; observed, never thrown. */
    private static void cleanUpDown(Check.Run run, TunnelTarget target) {
        try {
            observe(run, "clean-up: take the tunnel down", target.down(), null);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            run.observe("clean-up: portcullis-agent down", "at " + Instant.now() + ": FAILED: " + e);
        }
    }

    /** The audit actions recorded since the list had {@code before} entries (it only grows). */
    private static List<String> newSince(List<String> actions, int before) {
        return before <= actions.size() ? List.copyOf(actions.subList(before, actions.size())) : List.copyOf(actions);
    }
}
