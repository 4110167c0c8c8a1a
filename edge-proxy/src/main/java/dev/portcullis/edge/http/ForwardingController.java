package dev.portcullis.edge.http;

import com.google.protobuf.ByteString;
import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.forward.HeaderAllowlist;
import dev.portcullis.edge.forward.PublicPaths;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Patch;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.annotation.Put;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Everything under {@code /api/} goes to core as a {@link ProxyRequest} and is answered with
 * core's {@link ProxyResponse}. The enrollment pages are the proxy's own ({@link PagesController});
 * every other path is the framework's 404, made neutral. The proxy applies only
 * hygiene: allowlisted headers, bounded bodies, unambiguous paths. Content types in both
 * directions are core's business, so the controller consumes and produces anything.
 */
@Controller
@Consumes(MediaType.ALL)
@Produces(MediaType.ALL)
final class ForwardingController {

    /** Enrollment forms and WebAuthn attestations are a few KiB; nothing core serves needs more. */
    static final int MAX_BODY_BYTES = 64 * 1024;
    /** The only forwarded route (see {@link PublicPaths#FORWARDED_PREFIXES}). */
    private static final String API = "/api/{+path}";
    private static final byte[] NO_BODY = new byte[0];

    private final Forwarder forwarder;

    ForwardingController(Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    @Get(API)
    CompletableFuture<MutableHttpResponse<?>> get(HttpRequest<?> request, @PathVariable String path) {
        return relay(request, NO_BODY);
    }

    @Post(API)
    CompletableFuture<MutableHttpResponse<?>> post(HttpRequest<?> request, @PathVariable String path, @Nullable @Body byte[] body) {
        return relay(request, body);
    }

    @Put(API)
    CompletableFuture<MutableHttpResponse<?>> put(HttpRequest<?> request, @PathVariable String path, @Nullable @Body byte[] body) {
        return relay(request, body);
    }

    @Patch(API)
    CompletableFuture<MutableHttpResponse<?>> patch(HttpRequest<?> request, @PathVariable String path, @Nullable @Body byte[] body) {
        return relay(request, body);
    }

    @Delete(API)
    CompletableFuture<MutableHttpResponse<?>> delete(HttpRequest<?> request, @PathVariable String path, @Nullable @Body byte[] body) {
        return relay(request, body);
    }

    private CompletableFuture<MutableHttpResponse<?>> relay(HttpRequest<?> request, @Nullable byte[] body) {
        URI target = request.getUri();
        String rawPath = target.getRawPath() == null ? "" : target.getRawPath();
        if (!PublicPaths.isForwarded(rawPath)) {
            return answer(PublicError.NOT_FOUND);
        }
        if (PublicPaths.isAmbiguous(rawPath)) {
            return answer(PublicError.BAD_REQUEST);
        }
        byte[] content = body == null ? NO_BODY : body;
        if (content.length > MAX_BODY_BYTES) {
            return answer(PublicError.PAYLOAD_TOO_LARGE);
        }
        ProxyRequest.Builder proxied = ProxyRequest.newBuilder()
                .setMethod(request.getMethodName())
                .setPath(target.getRawQuery() == null ? rawPath : rawPath + "?" + target.getRawQuery())
                .setBody(ByteString.copyFrom(content))
                .setClientAddress(clientAddress(request));
        request.getHeaders().forEach((name, values) -> {
            if (HeaderAllowlist.requestAllows(name)) {
                String lower = name.toLowerCase(Locale.ROOT);
                for (String value : values) {
                    proxied.addHeaders(Header.newBuilder().setName(lower).setValue(value));
                }
            }
        });
        return forwarder.forward(proxied.build())
                .<MutableHttpResponse<?>>thenApply(ForwardingController::toHttp)
                .exceptionally(failure -> PublicError.forFailure(failure).response());
    }

    private static MutableHttpResponse<?> toHttp(ProxyResponse answer) {
        MutableHttpResponse<byte[]> response = statusOf(answer.getStatus());
        String contentType = null;
        int relayed = 0;
        for (Header header : answer.getHeadersList()) {
            if (relayed >= HeaderAllowlist.MAX_RESPONSE_HEADERS || !HeaderAllowlist.responseAllows(header.getName(), header.getValue())) {
                continue;
            }
            relayed++;
            if ("content-type".equalsIgnoreCase(header.getName())) {
                contentType = header.getValue();
            } else {
                response.getHeaders().add(header.getName().toLowerCase(Locale.ROOT), header.getValue());
            }
        }
        if (!answer.getBody().isEmpty()) {
            response.contentType(contentType != null ? contentType : MediaType.APPLICATION_OCTET_STREAM);
            response.body(answer.getBody().toByteArray());
        } else if (contentType != null) {
            response.contentType(contentType);
        }
        return response;
    }

    private static MutableHttpResponse<byte[]> statusOf(int code) {
        for (HttpStatus status : HttpStatus.values()) {
            if (status.getCode() == code) {
                return HttpResponse.status(status);
            }
        }
        return HttpResponse.status(code, "Status " + code);
    }

    private static String clientAddress(HttpRequest<?> request) {
        InetSocketAddress remote = request.getRemoteAddress();
        return remote.getAddress() != null ? remote.getAddress().getHostAddress() : remote.getHostString();
    }

    private static CompletableFuture<MutableHttpResponse<?>> answer(PublicError error) {
        return CompletableFuture.completedFuture(error.response());
    }
}
