package dev.portcullis.core.tunnel;

import com.google.protobuf.ByteString;
import dev.portcullis.core.enroll.PublicClient;
import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.core.link.PublicRequestHandler;
import dev.portcullis.protocol.v1.Header;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The agent as core sees it through an edge-proxy: each request signed with the device credential
 * as SESSION-API.md specifies it, computed here independently of the code under test.
 */
final class DeviceClient {

    private final PublicRequestHandler api;
    private final ComponentRecord edge;
    private final UUID deviceId;
    private final PrivateKey key;
    private final Clock clock;
    private final String clientAddress;
    /** Times of requests, strictly increasing: two requests alike in every signed part would be a replay. */
    private final java.util.concurrent.atomic.AtomicLong lastTime = new java.util.concurrent.atomic.AtomicLong();

    DeviceClient(PublicRequestHandler api, ComponentRecord edge, UUID deviceId, PrivateKey key, Clock clock, String clientAddress) {
        this.api = api;
        this.edge = edge;
        this.deviceId = deviceId;
        this.key = key;
        this.clock = clock;
        this.clientAddress = clientAddress;
    }

    DeviceClient from(String address) {
        return new DeviceClient(api, edge, deviceId, key, clock, address);
    }

    PublicClient.Answer get(String path) {
        return send(signed("GET", path, null, nextTime(), key));
    }

    PublicClient.Answer post(String path, String json) {
        return send(signed("POST", path, json, nextTime(), key));
    }

    PublicClient.Answer delete(String path) {
        return send(signed("DELETE", path, null, nextTime(), key));
    }

    private long nextTime() {
        return lastTime.updateAndGet(last -> Math.max(last + 1, clock.millis()));
    }

    /** A request signed with {@code signingKey} at {@code time}, for tests that then tamper with it. */
    ProxyRequest signed(String method, String path, String json, long time, PrivateKey signingKey) {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        ProxyRequest.Builder request = ProxyRequest.newBuilder().setMethod(method).setPath(path).setClientAddress(clientAddress)
                .setBody(ByteString.copyFrom(body));
        if (json != null) {
            request.addHeaders(header("content-type", "application/json"));
        }
        request.addHeaders(header("x-portcullis-device-auth", "v1 device=" + deviceId + ", time=" + time + ", signature="
                + sign(method, path, time, body, signingKey)));
        return request.build();
    }

    static String sign(String method, String path, long time, byte[] body, PrivateKey signingKey) {
        try {
            String canonical = "portcullis-device-v1\n" + method + "\n" + path + "\n" + time + "\n"
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(signingKey);
            signer.update(canonical.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(signer.sign());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    PublicClient.Answer send(ProxyRequest request) {
        ProxyResponse response = api.handle(request, edge);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Header header : response.getHeadersList()) {
            headers.computeIfAbsent(header.getName(), n -> new ArrayList<>()).add(header.getValue());
        }
        return new PublicClient.Answer(response.getStatus(), headers, response.getBody().toString(StandardCharsets.UTF_8));
    }

    static Header header(String name, String value) {
        return Header.newBuilder().setName(name).setValue(value).build();
    }
}
