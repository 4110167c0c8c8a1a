package dev.portcullis.core.cli;

import dev.portcullis.core.error.ErrorBody;
import io.micronaut.core.type.Argument;
import io.micronaut.serde.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Calls core's admin API with an admin token; turns every failure into a {@link CliFailure} that says what to do. */
final class AdminClient {

    /** The admin API answers from memory and one small query; a slow answer means something is wrong. */
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final URI baseUrl;
    private final String token;
    private final String tokenSource;
    private final HttpClient http;
    private final ObjectMapper json;

    AdminClient(URI baseUrl, String token, String tokenSource) {
        this.baseUrl = baseUrl;
        this.token = token;
        this.tokenSource = tokenSource;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
        this.json = ObjectMapper.getDefault();
    }

    /** A successful answer: the raw JSON (for --json) and the decoded body. */
    record Answer<T>(String raw, T body) {
    }

    <T> Answer<T> get(String path, Argument<T> type) {
        return send("GET", path, null, type);
    }

    <T> Answer<T> send(String method, String path, Object body, Argument<T> type) {
        HttpRequest.Builder request = HttpRequest.newBuilder(resolve(path))
                .timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        try {
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode request", e);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CliFailure("cannot reach the core admin API at " + baseUrl + ": is core running? ("
                    + describe(e) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted");
        }
        int status = response.statusCode();
        if (status == 401) {
            throw new CliFailure("admin token rejected: check --token-file (token from " + tokenSource + ")");
        }
        if (status < 200 || status > 299) {
            throw new CliFailure(errorMessage(response));
        }
        try {
            return new Answer<>(response.body(), json.readValue(response.body(), type));
        } catch (IOException e) {
            throw new CliFailure("unexpected answer from " + baseUrl + " (HTTP " + status + "): is this a Portcullis core?");
        }
    }

    private String errorMessage(HttpResponse<String> response) {
        try {
            ErrorBody error = json.readValue(response.body(), ErrorBody.class);
            if (error != null && error.error() != null) {
                return error.error();
            }
        } catch (IOException | RuntimeException e) {
            // not our error shape: fall through
        }
        return "core answered HTTP " + response.statusCode();
    }

    private URI resolve(String path) {
        String base = baseUrl.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        String kind = e.getClass().getSimpleName();
        return message == null || message.isBlank() ? kind : message;
    }
}
