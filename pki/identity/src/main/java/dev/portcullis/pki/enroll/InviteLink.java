package dev.portcullis.pki.enroll;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A one-time enrollment invite: {@code https://<host>[:<port>]/enroll/<token>#ca=<pin>}.
 * <p>
 * The token (32 random bytes, 43 base64url characters) is a secret: whoever holds the link can
 * enroll as the invited user until it is used or expires. {@link #toString()} therefore never
 * shows it, and no exception message of this class repeats any part of the link. The pin is
 * public: it is the SHA-256 of the edge-proxy's trust anchor (see {@link TrustAnchorPin}).
 * <p>
 * Parsing is strict so that a tampered or truncated link fails here, with a message the user can
 * act on, rather than later against a server: https only, no user info, no query, the path exactly
 * {@code /enroll/<token>} and the fragment exactly {@code ca=<pin>}.
 */
public final class InviteLink {

    /** Path prefix of invite links on the edge-proxy; the same page is served for every token. */
    public static final String PATH_PREFIX = "/enroll/";
    /** Fragment prefix carrying the pin; a fragment never reaches a server. */
    public static final String PIN_PREFIX = "ca=";
    /** 32 random bytes: unguessable, and no more than a hash-and-lookup needs. */
    public static final int TOKEN_BYTES = 32;
    /** base64url of {@link #TOKEN_BYTES} without padding. */
    public static final int TOKEN_TEXT_LENGTH = 43;
    /**
     * Longest link we read. A real one is about 160 characters plus the host name (at most 253);
     * anything far longer is not a link we issued, and we do not hand it to the URI parser.
     */
    public static final int MAX_LINK_LENGTH = 1024;

    private static final String EXPECTED = "expected https://<host>/enroll/<token>#ca=<pin>";
    private static final String NOT_A_LINK = "not a Portcullis invite link: " + EXPECTED;
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{" + TOKEN_TEXT_LENGTH + "}");
    private static final Pattern PATH = Pattern.compile(Pattern.quote(PATH_PREFIX) + "[A-Za-z0-9_-]{" + TOKEN_TEXT_LENGTH + "}");

    private final URI origin;
    private final String tokenText;
    private final byte[] trustAnchorSha256;

    private InviteLink(URI origin, String tokenText, byte[] trustAnchorSha256) {
        this.origin = origin;
        this.tokenText = tokenText;
        this.trustAnchorSha256 = trustAnchorSha256.clone();
    }

    /**
     * Builds the link an admin hands to a user.
     *
     * @param publicOrigin      the edge-proxy's public origin, {@code https://host[:port]} (a trailing "/" is accepted)
     * @param tokenText         the invite token, 43 base64url characters
     * @param trustAnchorSha256 SHA-256 of the proxy's topmost certificate, 32 bytes
     */
    public static InviteLink format(URI publicOrigin, String tokenText, byte[] trustAnchorSha256) {
        Objects.requireNonNull(publicOrigin, "publicOrigin");
        TrustAnchorPin.checkLength(trustAnchorSha256);
        if (!isCanonicalToken(tokenText)) {
            throw new IllegalArgumentException("an invite token is 43 base64url characters (32 bytes)");
        }
        if (publicOrigin.getRawPath() != null && !publicOrigin.getRawPath().isEmpty() && !"/".equals(publicOrigin.getRawPath())
                || publicOrigin.getRawFragment() != null) {
            throw new IllegalArgumentException("the public origin must be https://<host>[:<port>] without a path");
        }
        return new InviteLink(origin(publicOrigin, "the public origin"), tokenText, trustAnchorSha256);
    }

    /**
     * Reads a link as a user pasted it (surrounding whitespace is ignored).
     *
     * @throws IllegalArgumentException with a message safe to show that never repeats the link
     */
    public static InviteLink parse(String link) {
        if (link == null || link.isBlank()) {
            throw new IllegalArgumentException(NOT_A_LINK);
        }
        String text = link.strip();
        if (text.length() > MAX_LINK_LENGTH) {
            throw new IllegalArgumentException(NOT_A_LINK + " (this one is far too long)");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(NOT_A_LINK);
        }
        if (!uri.isAbsolute() || uri.isOpaque()) {
            throw new IllegalArgumentException(NOT_A_LINK);
        }
        URI origin = origin(uri, "the invite link");
        if (uri.getRawQuery() != null) {
            throw new IllegalArgumentException("not a Portcullis invite link: it must not have a ?query; " + EXPECTED);
        }
        String path = uri.getRawPath();
        if (path == null || !PATH.matcher(path).matches()) {
            throw new IllegalArgumentException(NOT_A_LINK + " (the /enroll/<token> part is missing or damaged; copy the whole link again)");
        }
        String token = path.substring(PATH_PREFIX.length());
        if (!isCanonicalToken(token)) {
            throw new IllegalArgumentException(NOT_A_LINK + " (the token is damaged; copy the whole link again)");
        }
        String fragment = uri.getRawFragment();
        if (fragment == null || !fragment.startsWith(PIN_PREFIX)) {
            throw new IllegalArgumentException("the invite link has no #ca= pin: copy the whole link, including the part after '#'");
        }
        byte[] pin;
        try {
            pin = TrustAnchorPin.decode(fragment.substring(PIN_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the #ca= pin of the invite link is damaged: copy the whole link again");
        }
        return new InviteLink(origin, token, pin);
    }

    /** {@code https://host[:port]}, without path. */
    public URI origin() {
        return origin;
    }

    /** The secret token. Send it only to {@link #origin()}, over TLS verified against the pin. */
    public String tokenText() {
        return tokenText;
    }

    /** The pin, a fresh copy. */
    public byte[] trustAnchorSha256() {
        return trustAnchorSha256.clone();
    }

    /** The whole link, secret included. Show it only to the person it is for. */
    public String toLinkString() {
        return origin + PATH_PREFIX + tokenText + "#" + PIN_PREFIX + TrustAnchorPin.encode(trustAnchorSha256);
    }

    @Override
    public String toString() {
        return "InviteLink[origin=" + origin + ", token=<redacted>, ca=" + TrustAnchorPin.encode(trustAnchorSha256) + "]";
    }

    private static boolean isCanonicalToken(String token) {
        if (token == null || !TOKEN.matcher(token).matches()) {
            return false;
        }
        byte[] bytes = Base64.getUrlDecoder().decode(token);
        return bytes.length == TOKEN_BYTES && Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).equals(token);
    }

    private static URI origin(URI uri, String what) {
        if (!"https".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException(what + " must start with https:// (" + EXPECTED + ")");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(what + " must not contain a user name or password before the host");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException(what + " has no valid host name (" + EXPECTED + ")");
        }
        int port = uri.getPort();
        if (port == 0 || port > 65535) {
            throw new IllegalArgumentException(what + " has an invalid port");
        }
        try {
            return new URI("https", null, host.toLowerCase(Locale.ROOT), port, null, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(what + " has no valid host name (" + EXPECTED + ")");
        }
    }
}
