package dev.portcullis.gateway.acl;

/**
 * Core sent a policy (or the gateway was configured with an interface name) that the compiler will
 * not turn into firewall rules. The message names the rule and field by position and never echoes
 * the offending text, so it is safe to send back to core in a {@code ConfigAck} and to log. The
 * firewall keeps whatever it enforced before.
 */
public final class InvalidAclPolicyException extends FirewallException {

    private static final long serialVersionUID = 1L;

    public InvalidAclPolicyException(String message) {
        super(message);
    }
}
