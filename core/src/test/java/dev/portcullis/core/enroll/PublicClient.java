package dev.portcullis.core.enroll;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.core.link.PublicRequestHandler;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A browser on the enrollment pages, as core sees it through an edge-proxy: requests carry the
 * headers the proxy forwards (lower-case names), the cookies the answers set (a cookie jar that
 * honours Max-Age=0) and, once redeemed, the CSRF value; the Origin header is the proxy's origin.
 */
public final class PublicClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong IDS = new AtomicLong();

    private final PublicRequestHandler api;
    private final ComponentRecord edgeProxy;
    private final String clientAddress;
    private final Map<String, String> cookies = new LinkedHashMap<>();
    private String origin;
    private String csrf;

    public PublicClient(PublicRequestHandler api, ComponentRecord edgeProxy, String origin, String clientAddress) {
        this.api = api;
        this.edgeProxy = edgeProxy;
        this.origin = origin;
        this.clientAddress = clientAddress;
    }

    /** A response with its body as text and JSON. */
    public record Answer(int status, Map<String, List<String>> headers, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public String error() {
            return json().path("error").asText();
        }

        public Optional<String> header(String name) {
            List<String> values = headers.getOrDefault(name, List.of());
            return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
        }
    }

    public PublicClient origin(String origin) {
        this.origin = origin;
        return this;
    }

    public PublicClient csrf(String csrf) {
        this.csrf = csrf;
        return this;
    }

    public String csrf() {
        return csrf;
    }

    public Map<String, String> cookies() {
        return cookies;
    }

    public Answer post(String path, String json) {
        return send("POST", path, json, true);
    }

    public Answer get(String path) {
        return send("GET", path, null, true);
    }

    /** POST without the CSRF header. */
    public Answer postWithoutCsrf(String path, String json) {
        return send("POST", path, json, false);
    }

    public Answer send(String method, String path, String json, boolean withCsrf) {
        return send(method, path, json, withCsrf, "application/json");
    }

    public Answer send(String method, String path, String json, boolean withCsrf, String contentType) {
        ProxyRequest.Builder request = ProxyRequest.newBuilder().setRequestId(IDS.incrementAndGet()).setMethod(method)
                .setPath(path).setClientAddress(clientAddress);
        if (json != null) {
            request.setBody(ByteString.copyFrom(json, StandardCharsets.UTF_8));
            request.addHeaders(header("content-type", contentType));
        }
        if (origin != null) {
            request.addHeaders(header("origin", origin));
        }
        if (!cookies.isEmpty()) {
            request.addHeaders(header("cookie", String.join("; ",
                    cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())));
        }
        if (withCsrf && csrf != null) {
            request.addHeaders(header("x-portcullis-csrf", csrf));
        }
        ProxyResponse response = api.handle(request.build(), edgeProxy);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Header header : response.getHeadersList()) {
            headers.computeIfAbsent(header.getName(), n -> new ArrayList<>()).add(header.getValue());
        }
        for (String setCookie : headers.getOrDefault("set-cookie", List.of())) {
            String pair = setCookie.substring(0, setCookie.indexOf(';'));
            String name = pair.substring(0, pair.indexOf('='));
            if (setCookie.contains("Max-Age=0")) {
                cookies.remove(name);
            } else {
                cookies.put(name, pair.substring(pair.indexOf('=') + 1));
            }
        }
        Answer answer = new Answer(response.getStatus(), headers, response.getBody().toString(StandardCharsets.UTF_8));
        if (answer.status() == 200 && (path.endsWith("/enroll/redeem") || path.endsWith("/recovery/redeem"))) {
            csrf = answer.json().path("csrf").asText();
        }
        return answer;
    }

    private static Header header(String name, String value) {
        return Header.newBuilder().setName(name).setValue(value).build();
    }
}
