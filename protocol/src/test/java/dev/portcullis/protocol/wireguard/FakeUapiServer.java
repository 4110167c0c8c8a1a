package dev.portcullis.protocol.wireguard;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A UAPI daemon stand-in on a real Unix socket: records every request it receives and answers
 * with whatever the test says, including nothing at all or garbage.
 */
final class FakeUapiServer implements AutoCloseable {

    /** How to answer one request: bytes to send, then whether to keep the connection open silently. */
    record Answer(byte[] bytes, boolean hang) {
        static Answer of(String text) {
            return new Answer(text.getBytes(StandardCharsets.ISO_8859_1), false);
        }

        static Answer silence() {
            return new Answer(new byte[0], true);
        }
    }

    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private volatile Function<String, Answer> answers;

    FakeUapiServer(Path socket, Function<String, Answer> answers) throws IOException {
        this.socket = socket;
        this.answers = answers;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        this.thread = new Thread(this::serve, "fake-uapi");
        thread.setDaemon(true);
        thread.start();
    }

    Path socket() {
        return socket;
    }

    List<String> requests() {
        return requests;
    }

    void answer(Function<String, Answer> answers) {
        this.answers = answers;
    }

    private void serve() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            Thread handler = new Thread(() -> handle(client), "fake-uapi-client");
            handler.setDaemon(true);
            handler.start();
        }
    }

    private void handle(SocketChannel client) {
        try (client) {
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (!endsWithEmptyLine(request.toByteArray())) {
                buffer.clear();
                if (client.read(buffer) < 0) {
                    return;
                }
                request.write(buffer.array(), 0, buffer.position());
            }
            String text = request.toString(StandardCharsets.ISO_8859_1);
            requests.add(text);
            Answer answer = answers.apply(text);
            ByteBuffer out = ByteBuffer.wrap(answer.bytes());
            while (out.hasRemaining()) {
                client.write(out);
            }
            if (answer.hang()) {
                Thread.sleep(60_000);
            }
        } catch (IOException | InterruptedException e) {
            // The client went away (as it does after a timeout); nothing to do.
        }
    }

    private static boolean endsWithEmptyLine(byte[] bytes) {
        int n = bytes.length;
        return n >= 2 && bytes[n - 1] == '\n' && bytes[n - 2] == '\n';
    }

    @Override
    public void close() throws IOException {
        server.close();
        thread.interrupt();
    }
}
