package dev.portcullis.agent.outcome;

/** The process exit codes of {@code portcullis-agent}; stable, because scripts branch on them. */
public enum ExitCode {
    /** The command did what it was asked. */
    OK(0, "done"),
    /** Wrong arguments, a malformed invite link, an unusable password file or no input to read. */
    USAGE(1, "usage error: wrong arguments, malformed invite link, unreadable password file, input ended"),
    /** The server said no: link not valid, a code refused too often, a step missing, a sign-in attempt ended. */
    SERVER_REFUSED(2, "the server refused (its message is shown as is; after too many attempts, when to try again)"),
    /** A location requires a security key (WebAuthn), which only a browser can register. */
    NEEDS_BROWSER(3, "this enrollment needs a browser (a location requires a security key)"),
    /** The proxy's TLS certificate does not verify against the invite link's pin. */
    UNTRUSTED_SERVER(4, "TLS failed: the proxy's certificate does not match the invite link's pin, its name or its dates"),
    /** The proxy could not be reached, timed out, or the service behind it failed (HTTP 5xx). */
    UNREACHABLE(5, "network error: the proxy is unreachable or the service is unavailable"),
    /** This device's state: already enrolled (see --force), not enrolled, or the state directory is unusable. */
    LOCAL_STATE(6, "local state: already enrolled (use --force), not enrolled, or state directory unusable"),
    /** No live tunnel session for that location on this device (export, down). */
    NO_SESSION(7, "no live tunnel session for that location (start one with: portcullis-agent up <location>)"),
    /** The local WireGuard interface could not be created, configured or removed. */
    TUNNEL_DEVICE(8, "the local WireGuard interface could not be set up or removed (needs root, wireguard-go or the kernel module)"),
    /** A bug: something happened that the agent does not expect. Nothing secret is printed. */
    INTERNAL(70, "internal error (a bug; please report it)");

    private final int code;
    private final String description;

    ExitCode(int code, String description) {
        this.code = code;
        this.description = description;
    }

    public int code() {
        return code;
    }

    /** One line for --help. */
    public String description() {
        return description;
    }
}
