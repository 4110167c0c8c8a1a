package dev.portcullis.compliance.evidence;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One enrolled device of a running deployment, as the tunnel checks ({@link TunnelChecks}) see it:
 * the agent on the device, the gateway of the device's location, the user's authenticator app and
 * the admin's view. The deployment fixture implements it; the checks never know how.
 */
public interface TunnelTarget {

    /** How one run of {@code portcullis-agent} ended. */
    record AgentRun(List<String> commandLine, int exitCode, String stdout, String stderr) {
        public String said() {
            return stderr + stdout;
        }
    }

    /** The location the device's tunnel goes to. */
    String location();

    /** The user who owns the device (an audit-record subject). */
    String user();

    /** The device's WireGuard public key (base64), as the gateway lists its peers. */
    String deviceKey();

    /** {@code portcullis-agent up LOCATION --code -} on the device, with {@code code} on stdin. */
    AgentRun up(String code) throws Exception;

    /** {@code portcullis-agent down LOCATION} on the device. */
    AgentRun down() throws Exception;

    /** The code of a 30-second TOTP step no earlier call has handed out (from oathtool; may wait for the next step). */
    String freshCode() throws Exception;

    /** A six-digit code that is certainly not valid now. */
    String wrongCode() throws Exception;

    /** The public keys the gateway's WireGuard interface has as peers right now. */
    List<String> gatewayPeers() throws Exception;

    /** One ping from the device through the tunnel to the service behind the gateway, waiting at most {@code wait}. */
    boolean reachesServiceBehindGateway(Duration wait) throws Exception;

    /**
     * What a thief with the device's copied key material and no second factor does: a plain
     * WireGuard interface with the device's private key and the gateway as its peer, traffic sent
     * for a few seconds; returns the latest handshake time that interface saw (0 = never).
     */
    long handshakeWithTheDeviceKeyAlone() throws Exception;

    /** The actions of the audit records that mention the user, oldest first. */
    List<String> auditActionsAboutUser() throws Exception;

    /** The live session's end ({@code notAfter}) at the location, as core reports it. */
    Instant liveSessionNotAfter() throws Exception;

    /** {@code location set LOCATION --session-lifetime LIFETIME} (e.g. "1m"). */
    void setSessionLifetime(String lifetime) throws Exception;

    /** Lifts the user's MFA lockout ({@code user unlock USER}), so later checks start clean. */
    void unlockUser() throws Exception;

    /** Stops core (the gateway and edge-proxy keep running). */
    void stopCore() throws Exception;

    /** Starts core again and waits until the gateway and edge-proxy are connected to it. */
    void startCore() throws Exception;
}
