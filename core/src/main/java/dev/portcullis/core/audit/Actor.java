package dev.portcullis.core.audit;

import java.util.Objects;

/**
 * Who caused a security event and from where.
 *
 * @param who           {@code admin:<token name>}, {@code user:<login>}, {@code component:<id>}, {@code anonymous}
 *                      or {@code core}
 * @param sourceAddress the client address as core learned it (the admin API's peer, or what the
 *                      edge-proxy reported); {@code -} when there is none
 */
public record Actor(String who, String sourceAddress) {

    public Actor {
        Objects.requireNonNull(who, "who");
        sourceAddress = sourceAddress == null || sourceAddress.isBlank() ? "-" : sourceAddress;
    }

    public static Actor admin(String tokenName, String sourceAddress) {
        return new Actor("admin:" + tokenName, sourceAddress);
    }

    public static Actor user(String login, String sourceAddress) {
        return new Actor("user:" + login, sourceAddress);
    }

    /** An edge-proxy or gateway, by its component id, acting over the link core opened to it. */
    public static Actor component(String componentId) {
        return new Actor("component:" + componentId, "-");
    }

    /** Someone on the internet whose identity core does not know (yet). */
    public static Actor anonymous(String sourceAddress) {
        return new Actor("anonymous", sourceAddress);
    }

    /** Core itself (background work such as sending a reset mail). */
    public static Actor core() {
        return new Actor("core", "-");
    }
}
