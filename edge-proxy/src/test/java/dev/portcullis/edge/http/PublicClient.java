package dev.portcullis.edge.http;

import dev.portcullis.edge.tls.PublicCertificate;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/** A user's HTTPS client that pins the proxy's public certificate, over real loopback sockets. */
public final class PublicClient {

    private final HttpClient client;
    private final String base;

    public PublicClient(PublicCertificate certificate, int port) {
        this.base = "https://127.0.0.1:" + port;
        this.client = HttpClient.newBuilder()
                .sslContext(pinning(certificate))
                .sslParameters(tls("TLSv1.3", "TLSv1.2"))
                .connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    public HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), headers);
    }

    public HttpResponse<String> send(String method, String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.ofByteArray(body)),
                headers);
    }

    private HttpResponse<String> send(HttpRequest.Builder builder, String... headers) throws IOException, InterruptedException {
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return client.send(builder.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public static SSLContext pinning(PublicCertificate certificate) {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("proxy", certificate.leaf());
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static SSLParameters tls(String... protocols) {
        SSLParameters parameters = new SSLParameters();
        parameters.setProtocols(protocols);
        return parameters;
    }
}
