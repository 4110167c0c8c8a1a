package dev.portcullis.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.edge.forward.Forwarder;
import dev.portcullis.edge.ratelimit.RateLimiter;
import dev.portcullis.edge.ratelimit.RateLimits;
import dev.portcullis.edge.tls.PublicCertificate;
import dev.portcullis.protocol.v1.ProxyRequest;
import dev.portcullis.protocol.v1.ProxyResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests a browser would never send, over raw TLS sockets: slow or unfinished ones are cut off
 * within a bound, oversized and malformed ones get a plain 4xx, and none of them reaches core or
 * earns a stack trace.
 */
class RequestHygieneTest {

    private static final PublicCertificate CERTIFICATE = PublicCertificate.ephemeral(Set.of(), Clock.systemUTC());
    /** Short so the tests are quick; production uses RequestDeadline.DEFAULT (30 s). */
    private static final Duration DEADLINE = Duration.ofSeconds(1);
    /** Far more than DEADLINE, far less than the 30 s idle timeouts: being cut off within it proves the deadline did it. */
    private static final Duration CUT_OFF_BOUND = Duration.ofSeconds(6);

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private FakeCore core;
    private Forwarder forwarder;
    private PublicHttpServer server;

    @BeforeEach
    void start() {
        core = new FakeCore();
        forwarder = new Forwarder(core, Duration.ofSeconds(5), Forwarder.MAX_IN_FLIGHT);
        core.attach(forwarder);
        core.answerWith(request -> ProxyResponse.newBuilder().setStatus(204).build());
        server = PublicHttpServer.start(new InetSocketAddress("127.0.0.1", 0), CERTIFICATE, forwarder,
                new RateLimits(new RateLimiter(10_000), new RateLimiter(10_000)), DEADLINE);
    }

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        server.close();
        core.close();
    }

    @Test
    void aBodyThatNeverFinishesIsCutOffAndNeverForwarded() throws Exception {
        try (SSLSocket socket = open()) {
            long started = System.nanoTime();
            write(socket, "POST /api/v1/enroll/redeem HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"token\":");

            String answer = readUntilClosed(socket);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(CUT_OFF_BOUND);
            assertThat(answer).satisfiesAnyOf(a -> assertThat(a).isEmpty(), a -> assertThat(a).matches("(?s)HTTP/1\\.1 (408|400) .*"));
        }
        assertThat(core.received()).isEmpty();
    }

    @Test
    void aBodyTrickledAByteAtATimeIsCutOffToo() throws Exception {
        try (SSLSocket socket = open()) {
            long started = System.nanoTime();
            write(socket, "POST /api/v1/enroll/password HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 60000\r\n\r\n");
            OutputStream out = socket.getOutputStream();
            AtomicInteger sent = new AtomicInteger();
            // One byte every 100 ms: never silent long enough for an idle timeout, never finished.
            scheduler.scheduleAtFixedRate(() -> {
                try {
                    out.write('x');
                    out.flush();
                    sent.incrementAndGet();
                } catch (IOException closed) {
                    throw new IllegalStateException(closed);
                }
            }, 0, 100, TimeUnit.MILLISECONDS);

            readUntilClosed(socket);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(CUT_OFF_BOUND);
            assertThat(sent.get()).as("the client was still sending").isGreaterThan(3);
        }
        assertThat(core.received()).isEmpty();
    }

    @Test
    void headersThatNeverEndAreCutOff() throws Exception {
        try (SSLSocket socket = open()) {
            long started = System.nanoTime();
            write(socket, "GET /enroll/abc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");

            readUntilClosed(socket);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(CUT_OFF_BOUND);
        }
    }

    @Test
    void aConnectionThatNeverSendsARequestIsClosed() throws Exception {
        try (SSLSocket socket = open()) {
            long started = System.nanoTime();

            assertThat(readUntilClosed(socket)).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(CUT_OFF_BOUND);
        }
    }

    @Test
    void waitingForCoreDoesNotCountAgainstTheClient() throws Exception {
        answerLate();
        try (SSLSocket socket = open()) {
            write(socket, "POST /api/v1/enroll/complete HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2\r\n\r\n{}");

            assertThat(readResponseHead(socket)).startsWith("HTTP/1.1 204 ");
        }
    }

    /** Core answers the first request only after twice the deadline: the client did nothing wrong and must get it. */
    private void answerLate() {
        core.staysSilent();
        scheduler.execute(() -> {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (core.received().isEmpty() && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            if (core.received().isEmpty()) {
                return;
            }
            ProxyRequest request = core.received().get(0);
            scheduler.schedule(() -> forwarder.onProxyResponse(ProxyResponse.newBuilder().setRequestId(request.getRequestId())
                    .setStatus(204).build()), DEADLINE.toMillis() * 2, TimeUnit.MILLISECONDS);
        });
    }

    @Test
    void aHundredContinueIsNotTheAnswerSoWaitingForCoreAfterItDoesNotCountEither() throws Exception {
        answerLate();
        try (SSLSocket socket = open()) {
            write(socket, "POST /api/v1/enroll/complete HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
            assertThat(readResponseHead(socket)).startsWith("HTTP/1.1 100 ");
            write(socket, "{}");

            assertThat(readResponseHead(socket)).startsWith("HTTP/1.1 204 ");
        }
    }

    @Test
    void aKeepAliveConnectionServesRequestsOneAfterAnother() throws Exception {
        try (SSLSocket socket = open()) {
            for (int i = 0; i < 3; i++) {
                write(socket, "GET /api/v1/enroll/session HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                assertThat(readResponseHead(socket)).startsWith("HTTP/1.1 204 ");
            }
        }
        assertThat(core.received()).hasSize(3);
    }

    @Test
    void aDeclaredBodyOverTheLimitIs413BeforeItIsSent() throws Exception {
        try (SSLSocket socket = open()) {
            write(socket, "POST /api/v1/enroll/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 10000000\r\n\r\n");

            String answer = readUntilClosed(socket);

            assertThat(answer).startsWith("HTTP/1.1 413 ").endsWith("{\"error\":\"request too large\"}");
            assertNoDetail(answer);
        }
        assertThat(core.received()).isEmpty();
    }

    @Test
    void aChunkedBodyOverTheLimitIs413() throws Exception {
        try (SSLSocket socket = open()) {
            write(socket, "POST /api/v1/enroll/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n");
            String chunk = "x".repeat(8192);
            try {
                for (int i = 0; i < 10; i++) {
                    write(socket, Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
                }
                write(socket, "0\r\n\r\n");
            } catch (SocketException closedEarly) {
                // The proxy may answer and close before the client finished sending: that is the point.
            }

            String answer = readUntilClosed(socket);

            assertThat(answer).startsWith("HTTP/1.1 413 ");
            assertNoDetail(answer);
        }
        assertThat(core.received()).isEmpty();
    }

    @Test
    void malformedRequestsGetA400WithoutDetail() throws Exception {
        for (String request : List.of(
                "GET /api/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
                "GET /api/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                "GET /api/x HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n",
                "GET /api/%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                "GET /enroll/%c0%ae%c0%ae/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                "GET /api/x\u0001y HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                "BREW /api/x HTCPCP/1.0\r\n\r\n",
                "\u0016\u0003\u0001garbage\r\n\r\n")) {
            try (SSLSocket socket = open()) {
                write(socket, request);

                String answer = readUntilClosed(socket);

                assertThat(answer).as(printable(request)).matches("(?s)HTTP/1\\.[01] 4\\d\\d .*");
                assertNoDetail(answer);
            }
        }
        assertThat(core.received()).isEmpty();
    }

    @Test
    void headersOverTheLimitGetA4xx() throws Exception {
        try (SSLSocket socket = open()) {
            write(socket, "GET /api/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "a".repeat(16 * 1024) + "\r\n\r\n");

            String answer = readUntilClosed(socket);

            assertThat(answer).matches("(?s)HTTP/1\\.[01] 4\\d\\d .*");
            assertNoDetail(answer);
        }
        assertThat(core.received()).isEmpty();
    }

    private static void assertNoDetail(String answer) {
        assertThat(answer).doesNotContain("Exception", "exception", "io.netty", "micronaut", "\tat ", "java.");
    }

    private SSLSocket open() throws IOException {
        SSLSocket socket = (SSLSocket) PublicClient.pinning(CERTIFICATE).getSocketFactory().createSocket("127.0.0.1", server.port());
        socket.setSoTimeout(250);
        socket.startHandshake();
        return socket;
    }

    private static void write(SSLSocket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Everything the proxy sends until it closes the connection; fails if it is still open after the bound. */
    private static String readUntilClosed(SSLSocket socket) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        long deadline = System.nanoTime() + CUT_OFF_BOUND.toNanos();
        byte[] buffer = new byte[4096];
        while (true) {
            assertThat(System.nanoTime()).as("connection closed within %s; received so far: %s", CUT_OFF_BOUND,
                    received.toString(StandardCharsets.ISO_8859_1)).isLessThan(deadline);
            try {
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                received.write(buffer, 0, n);
            } catch (SocketTimeoutException stillOpen) {
                // poll again until the deadline
            } catch (SocketException reset) {
                break;
            }
        }
        return received.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads one response (status line and headers, then Content-Length bytes of body) within the bound. */
    private static String readResponseHead(SSLSocket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        long deadline = System.nanoTime() + CUT_OFF_BOUND.toNanos();
        while (!head.toString().endsWith("\r\n\r\n")) {
            assertThat(System.nanoTime()).as("a response within %s; so far: %s", CUT_OFF_BOUND, head).isLessThan(deadline);
            try {
                int c = in.read();
                assertThat(c).as("connection open; so far: %s", head).isNotNegative();
                head.append((char) c);
            } catch (SocketTimeoutException notYet) {
                // poll again until the deadline
            }
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(head);
        int remaining = length.find() ? Integer.parseInt(length.group(1)) : 0;
        while (remaining > 0) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            try {
                if (in.read() >= 0) {
                    remaining--;
                }
            } catch (SocketTimeoutException notYet) {
                // poll again until the deadline
            }
        }
        return head.toString();
    }

    private static String printable(String text) {
        return text.replace("\r", "\\r").replace("\n", "\\n").replaceAll("[\\x00-\\x1f]", "?");
    }
}
