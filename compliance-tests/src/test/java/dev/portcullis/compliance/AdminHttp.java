package dev.portcullis.compliance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Core's admin API over HTTP, as an operator's script would use it. */
final class AdminHttp {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    /** A response: status and parsed JSON body (null when empty). */
    record Reply(int status, JsonNode body) {
    }

    AdminHttp(int port, String token) {
        this.base = "http://127.0.0.1:" + port;
        this.token = token;
    }

    Reply get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Reply post(String path, Object body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    Reply put(String path, Object body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    Reply delete(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
    }

    /** A GET whose answer is not one JSON document (JSON lines, say): the raw response. */
    HttpResponse<String> getRaw(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every record of the audit log ({@code GET /api/v1/audit/records}, JSON lines, page by page from cursor 0). */
    List<JsonNode> auditRecords() throws IOException, InterruptedException {
        List<JsonNode> records = new ArrayList<>();
        long from = 0;
        for (int page = 0; page < 1_000; page++) {
            HttpResponse<String> response = getRaw("/api/v1/audit/records?from=" + from);
            if (response.statusCode() != 200) {
                throw new AssertionError("GET /api/v1/audit/records: " + response.statusCode() + " " + response.body());
            }
            for (String line : response.body().split("\n")) {
                if (!line.isBlank()) {
                    records.add(JSON.readTree(line));
                }
            }
            long next = Long.parseLong(response.headers().firstValue("X-Audit-Next-Cursor").orElseThrow());
            if (next == from) {
                return records;
            }
            from = next;
        }
        throw new AssertionError("the audit log did not end after 1,000 pages");
    }

    private Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(request.header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = response.body() == null || response.body().isBlank() ? null : JSON.readTree(response.body());
        return new Reply(response.statusCode(), body);
    }
}
