package dev.portcullis.gateway.acl;

/**
 * The firewall could not be changed or read. The message is short and safe to log and to report
 * to core (it holds at most a summary of nft's error output, which contains no secrets); the
 * cause, if any, is for local logs only. When an apply fails the previous ruleset stays in force,
 * because every change is one nftables transaction.
 */
public class FirewallException extends Exception {

    private static final long serialVersionUID = 1L;

    public FirewallException(String message) {
        super(message);
    }

    public FirewallException(String message, Throwable cause) {
        super(message, cause);
    }
}
