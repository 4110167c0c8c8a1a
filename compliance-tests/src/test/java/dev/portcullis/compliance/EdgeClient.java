package dev.portcullis.compliance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * HTTPS to the edge-proxy's public port, byte for byte, from a chosen loopback source address.
 * The proxy rate-limits per client address, so each scenario draws from its own 127.0.0.x bucket
 * and cannot starve another. Plain HTTP/1.1, one connection per request, so what a test sends
 * (sizes, malformed bodies) is exactly what reaches the proxy and what comes back is exactly what
 * the proxy wrote. Trusts only the certificate whose SHA-256 is the pin it was given: the same
 * {@code #ca=} pin an invite link carries.
 */
final class EdgeClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A request gets this long to be answered; the proxy itself gives core 10 s. */
    private static final int READ_TIMEOUT_MILLIS = 30_000;
    /** No answer the proxy sends is near this big; a runaway answer must not fill the heap. */
    private static final int MAX_RESPONSE_BYTES = 4 << 20;

    private final String host;
    private final int port;
    private final SSLContext tls;
    private final InetAddress source;

    /** A response exactly as received: status, headers (lower-case names) and the body's bytes. */
    record Response(int status, Map<String, List<String>> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + text(), e);
            }
        }

        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** The value of a cookie the response sets, or null. */
        String cookie(String name) {
            for (String setCookie : headers.getOrDefault("set-cookie", List.of())) {
                String first = setCookie.split(";", 2)[0].strip();
                if (first.startsWith(name + "=")) {
                    return first.substring(name.length() + 1);
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return status + " " + text();
        }
    }

    EdgeClient(int port, String pinBase64Url, String sourceAddress) {
        this("localhost", port, pinned(pinBase64Url), sourceAddress);
    }

    EdgeClient(String host, int port, SSLContext tls, String sourceAddress) {
        this.host = host;
        this.port = port;
        this.tls = tls;
        try {
            this.source = InetAddress.getByName(sourceAddress);
        } catch (IOException e) {
            throw new IllegalArgumentException(sourceAddress, e);
        }
    }

    /** The same client from another loopback source address (another rate-limit bucket). */
    EdgeClient from(String sourceAddress) {
        return new EdgeClient(host, port, tls, sourceAddress);
    }

    String origin() {
        return "https://" + host + ":" + port;
    }

    Response get(String path, String... headerPairs) throws IOException {
        return send("GET", path, null, headerPairs);
    }

    Response postJson(String path, Object body, String... headerPairs) throws IOException {
        return send("POST", path, JSON.writeValueAsBytes(body), withJsonType(headerPairs));
    }

    Response postRaw(String path, byte[] body, String... headerPairs) throws IOException {
        return send("POST", path, body, withJsonType(headerPairs));
    }

    private static String[] withJsonType(String... headerPairs) {
        String[] all = new String[headerPairs.length + 2];
        all[0] = "Content-Type";
        all[1] = "application/json; charset=utf-8";
        System.arraycopy(headerPairs, 0, all, 2, headerPairs.length);
        return all;
    }

    /** One request on a fresh connection; header names and values alternate in {@code headerPairs}. */
    Response send(String method, String path, byte[] body, String... headerPairs) throws IOException {
        try (Connection connection = connect()) {
            return connection.exchange(method, path, body, true, headerPairs);
        }
    }

    /** A kept-alive connection for many requests in a row (rate-limit probes: one handshake, not hundreds). */
    Connection connect() throws IOException {
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
        try {
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(new InetSocketAddress(target(host), port), 5_000);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            socket.startHandshake();
            return new Connection(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** One TLS connection to the proxy; requests on it go one after the other. */
    final class Connection implements AutoCloseable {
        private final SSLSocket socket;
        private final InputStream in;
        private boolean closedByServer;

        private Connection(SSLSocket socket) throws IOException {
            this.socket = socket;
            this.in = new java.io.BufferedInputStream(socket.getInputStream());
        }

        /** Whether the server said it closes the connection after its last answer. */
        boolean open() {
            return !closedByServer && !socket.isClosed();
        }

        Response get(String path, String... headerPairs) throws IOException {
            return exchange("GET", path, null, false, headerPairs);
        }

        Response postJson(String path, Object body, String... headerPairs) throws IOException {
            return exchange("POST", path, JSON.writeValueAsBytes(body), false, withJsonType(headerPairs));
        }

        Response exchange(String method, String path, byte[] body, boolean last, String... headerPairs) throws IOException {
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
            head.append("Host: ").append(host).append(':').append(port).append("\r\n");
            if (last) {
                head.append("Connection: close\r\n");
            }
            head.append("Accept: application/json, text/html\r\n");
            for (int i = 0; i + 1 < headerPairs.length; i += 2) {
                head.append(headerPairs[i]).append(": ").append(headerPairs[i + 1]).append("\r\n");
            }
            if (body != null) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            // Head and body in one write: two small writes would meet Nagle's algorithm and the
            // server's delayed ACK, and every request would wait ~40 ms for nothing.
            java.io.ByteArrayOutputStream request = new java.io.ByteArrayOutputStream();
            request.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                request.write(body);
            }
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request.toByteArray());
                out.flush();
            } catch (IOException e) {
                // The proxy may answer (413) and close before taking a body it refuses; read its answer.
            }
            Response response = read(in);
            String connectionHeader = response.header("Connection");
            if (last || (connectionHeader != null && connectionHeader.equalsIgnoreCase("close"))) {
                closedByServer = true;
            }
            return response;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Reads one response: head, then a body by Content-Length, chunked, or up to the end of the stream. */
    private static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection ended in the response head: "
                        + headBytes.toString(StandardCharsets.ISO_8859_1));
            }
            headBytes.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (headBytes.size() > 64 * 1024) {
                throw new IOException("response head larger than 64 KiB");
            }
        }
        String[] lines = headBytes.toString(StandardCharsets.ISO_8859_1).strip().split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.computeIfAbsent(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(lines[i].substring(colon + 1).strip());
        }
        List<String> encoding = headers.get("transfer-encoding");
        byte[] body;
        if (status == 204 || status == 304 || status / 100 == 1) {
            body = new byte[0]; // no body, whatever the headers say (RFC 9112, 6.3)
        } else if (encoding != null && encoding.get(0).toLowerCase(Locale.ROOT).contains("chunked")) {
            body = readChunked(in);
        } else if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length").get(0)));
        } else {
            body = readToEnd(in);
        }
        return new Response(status, headers, body);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int size = Integer.parseInt(sizeLine.split(";")[0].strip(), 16);
            if (size == 0) {
                String trailer;
                do {
                    trailer = readLine(in);
                } while (!trailer.isEmpty());
                return out.toByteArray();
            }
            out.write(in.readNBytes(size));
            readLine(in);
            if (out.size() > MAX_RESPONSE_BYTES) {
                throw new IOException("response larger than " + MAX_RESPONSE_BYTES + " bytes");
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                all.write(buffer, 0, n);
                if (all.size() > MAX_RESPONSE_BYTES) {
                    throw new IOException("response larger than " + MAX_RESPONSE_BYTES + " bytes");
                }
            }
        } catch (javax.net.ssl.SSLException | java.net.SocketException e) {
            // a close without close_notify after the answer; keep what arrived
        }
        return all.toByteArray();
    }

    // ---- TLS: trust exactly one pinned certificate, and read what a server presents ----------------

    /** base64url (no padding) SHA-256 over a certificate's DER: the {@code #ca=} pin of invite links. */
    static String pinOf(X509Certificate certificate) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The address a host name of this client stands for: "localhost" is loopback, anything else an IP literal. */
    private static InetAddress target(String host) throws IOException {
        return "localhost".equals(host) ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
    }

    /** A TLS context that accepts a server chain only if one of its certificates has this pin. */
    static SSLContext pinned(String pinBase64Url) {
        return context(new PinningTrustManager(pinBase64Url, null));
    }

    /**
     * The chain a TLS server on 127.0.0.1 presents, read without trusting it (the caller then
     * checks it against a pin it got elsewhere, such as an invite link).
     */
    static List<X509Certificate> presentedChain(int port) throws IOException {
        return presentedChain("localhost", port);
    }

    /** The same for a server at {@code host} ("localhost" is 127.0.0.1; otherwise an IP address). */
    static List<X509Certificate> presentedChain(String host, int port) throws IOException {
        List<X509Certificate> seen = new ArrayList<>();
        SSLContext context = context(new PinningTrustManager(null, seen));
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(target(host), port), 5_000);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, false)) {
                socket.setSoTimeout(10_000);
                socket.startHandshake();
            }
        }
        return seen;
    }

    private static SSLContext context(TrustManager trust) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trust}, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Trusts a chain containing the pinned certificate; with no pin, records the chain and trusts it (read-only probing). */
    private static final class PinningTrustManager extends X509ExtendedTrustManager {
        private final String pin;
        private final List<X509Certificate> record;

        PinningTrustManager(String pin, List<X509Certificate> record) {
            this.pin = pin;
            this.record = record;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (record != null) {
                record.addAll(List.of(chain));
                return;
            }
            for (X509Certificate certificate : chain) {
                if (pinOf(certificate).equals(pin)) {
                    return;
                }
            }
            throw new CertificateException("no certificate in the chain has the pinned SHA-256 " + pin);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
