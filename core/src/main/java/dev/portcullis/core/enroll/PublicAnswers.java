package dev.portcullis.core.enroll;

import com.google.protobuf.ByteString;
import dev.portcullis.core.error.PortcullisException;
import dev.portcullis.core.error.TooManyRequestsException;
import dev.portcullis.enrollment.token.SessionSecret;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.nio.charset.StandardCharsets;

/**
 * The public API's responses: JSON in UTF-8, never cached, and the session cookies in exactly the
 * form {@code enrollment/API.md} fixes ({@code __Host-} prefix, Secure, HttpOnly, SameSite=Strict).
 */
public final class PublicAnswers {

    static final String JSON = "application/json; charset=utf-8";
    private static final Header CONTENT_TYPE = header("content-type", JSON);
    /** Answers carry secrets shown once and per-user state: no browser or proxy cache may keep them. */
    private static final Header NO_STORE = header("cache-control", "no-store");

    private PublicAnswers() {
    }

    public static ProxyResponse json(int status, Object body) {
        return rawJson(status, new String(PublicJson.write(body), StandardCharsets.UTF_8));
    }

    /** JSON text made elsewhere (the WebAuthn library's creation options). */
    public static ProxyResponse rawJson(int status, String json) {
        return ProxyResponse.newBuilder()
                .setStatus(status)
                .addHeaders(CONTENT_TYPE)
                .addHeaders(NO_STORE)
                .setBody(ByteString.copyFrom(json, StandardCharsets.UTF_8))
                .build();
    }

    public static ProxyResponse error(int status, String message) {
        return json(status, new PublicJson.Error(message));
    }

    /** A typed refusal as its status and safe message; a rate limit also says when to come back ({@code Retry-After}). */
    public static ProxyResponse refusal(PortcullisException refusal) {
        if (refusal instanceof TooManyRequestsException limited) {
            return error(429, limited.publicMessage()).toBuilder()
                    .addHeaders(header("retry-after", Long.toString(limited.retryAfterSeconds()))).build();
        }
        return error(refusal.httpStatus(), refusal.publicMessage());
    }

    public static ProxyResponse noContent() {
        return ProxyResponse.newBuilder().setStatus(204).addHeaders(NO_STORE).build();
    }

    /** The session cookie, lasting as long as the session ({@code Max-Age}, absolute). */
    static Header setCookie(SessionKind kind, SessionSecret secret) {
        return header("set-cookie", kind.cookieName() + "=" + secret.reveal() + "; Path=/; Secure; HttpOnly; SameSite=Strict; "
                + "Max-Age=" + kind.lifetime().toSeconds());
    }

    /** Tells the browser to drop the session cookie. */
    static Header clearCookie(SessionKind kind) {
        return header("set-cookie", kind.cookieName() + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    }

    public static Header header(String name, String value) {
        return Header.newBuilder().setName(name).setValue(value).build();
    }
}
