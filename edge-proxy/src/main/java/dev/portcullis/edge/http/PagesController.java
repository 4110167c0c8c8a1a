package dev.portcullis.edge.http;

import dev.portcullis.edge.pages.StaticPages;
import dev.portcullis.edge.pages.StaticPages.Page;
import dev.portcullis.edge.pages.StaticResource;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.MediaType;
import java.util.regex.Pattern;

/**
 * The enrollment pages (enrollment/API.md, "Pages the edge-proxy serves") and the tunnel-MFA
 * hand-off page (client-agent/SESSION-API.md). {@code /enroll/} and {@code /reset/} answer the
 * same bytes whatever follows them, {@code /mfa/} the same bytes for every well-formed token: the
 * token in the path is never forwarded and never logged, and nothing here knows which tokens
 * exist, so the page is no oracle. The page's script sends the token to core through the JSON API.
 */
@Controller
@Produces(MediaType.ALL)
final class PagesController {

    /** The pages: never cached (the link in the address bar holds a token until the script removes it). */
    static final String PAGE_CACHE_CONTROL = "no-store";
    /**
     * Assets hold no user data and are the same for everybody, so any cache may keep them. Their
     * names are not versioned, so the lifetime is short: after an upgrade a browser runs an old
     * script for at most five minutes (and the element ids both sides use are a stable contract).
     * A revalidation after that costs a 304 thanks to the ETag.
     */
    static final String ASSET_CACHE_CONTROL = "public, max-age=300";
    /**
     * A hand-off link's path: {@code /mfa/} and a token of 43 base64url characters (256 bits
     * without padding), the only shape core mints (SESSION-API.md).
     */
    static final Pattern MFA_LINK = Pattern.compile("/mfa/[A-Za-z0-9_-]{43}");

    private final StaticPages pages;

    PagesController(StaticPages pages) {
        this.pages = pages;
    }

    /** The framework wants the route's variable bound; {@code token} is never read. */
    @Get(uris = {"/enroll/", "/enroll/{+token}"})
    MutableHttpResponse<byte[]> enroll(@SuppressWarnings("unused") @Nullable @PathVariable String token) {
        return page(Page.ENROLL);
    }

    @Get(uris = {"/reset/", "/reset/{+token}"})
    MutableHttpResponse<byte[]> reset(@SuppressWarnings("unused") @Nullable @PathVariable String token) {
        return page(Page.RESET);
    }

    @Get("/forgot")
    MutableHttpResponse<byte[]> forgot() {
        return page(Page.FORGOT);
    }

    /**
     * The tunnel-MFA hand-off page (client-agent/SESSION-API.md, "Browser hand-off for WebAuthn"),
     * for a path of exactly the shape of a hand-off link and for nothing else under {@code /mfa/}.
     * Only the shape is checked: whether the token is live is core's to say, to the page's script,
     * so every well-formed token gets the same bytes and everything else the same neutral 404 as
     * an unknown page. The raw path is checked, so the page is served only where its script can
     * read the token as it stands (no percent-escapes, no trailing slash, no further segments).
     */
    @Get(uris = {"/mfa/", "/mfa/{+token}"})
    MutableHttpResponse<?> mfa(HttpRequest<?> request, @SuppressWarnings("unused") @Nullable @PathVariable String token) {
        return MFA_LINK.matcher(request.getUri().getRawPath()).matches() ? page(Page.MFA) : PublicError.NOT_FOUND.response();
    }

    @Get("/assets/{name}")
    MutableHttpResponse<?> asset(@PathVariable String name, @Nullable @Header(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return pages.asset(name)
                .<MutableHttpResponse<?>>map(asset -> asset.etag().equals(ifNoneMatch)
                        ? HttpResponse.status(HttpStatus.NOT_MODIFIED).header(HttpHeaders.ETAG, asset.etag())
                                .header(HttpHeaders.CACHE_CONTROL, ASSET_CACHE_CONTROL)
                        : file(asset, ASSET_CACHE_CONTROL))
                .orElseGet(PublicError.NOT_FOUND::response);
    }

    private MutableHttpResponse<byte[]> page(Page page) {
        return file(pages.page(page), PAGE_CACHE_CONTROL).attribute(SecurityHeadersFilter.PAGE_ATTRIBUTE, Boolean.TRUE);
    }

    private static MutableHttpResponse<byte[]> file(StaticResource resource, String cacheControl) {
        return HttpResponse.ok(resource.bytes())
                .contentType(resource.contentType())
                .header(HttpHeaders.ETAG, resource.etag())
                .header(HttpHeaders.CACHE_CONTROL, cacheControl);
    }
}
