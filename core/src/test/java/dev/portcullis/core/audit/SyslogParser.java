package dev.portcullis.core.audit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict reader of what a collector receives: RFC 6587 octet-counted frames, each an RFC 5424
 * message, parsed by the grammar (not by splitting on spaces), SD-PARAM values unescaped.
 */
final class SyslogParser {

    /** One parsed message. {@code structuredData} maps SD-ID to its parameters in order. */
    record Message(int pri, int version, String timestamp, String hostname, String appName, String procId, String msgId,
                   Map<String, Map<String, String>> structuredData, String msg) {

        int facility() {
            return pri / 8;
        }

        int severity() {
            return pri % 8;
        }
    }

    private SyslogParser() {
    }

    /** Reads octet-counted frames until the end of the stream. */
    static List<byte[]> frames(InputStream in) throws IOException {
        List<byte[]> frames = new ArrayList<>();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return frames;
            }
            StringBuilder length = new StringBuilder();
            while (b != ' ') {
                if (b < '0' || b > '9' || length.length() > 9) {
                    throw new IOException("bad frame length");
                }
                length.append((char) b);
                b = in.read();
            }
            if (length.length() == 0 || length.charAt(0) == '0') {
                throw new IOException("MSG-LEN must be a non-zero number without leading zeros");
            }
            byte[] frame = in.readNBytes(Integer.parseInt(length.toString()));
            if (frame.length != Integer.parseInt(length.toString())) {
                throw new IOException("frame cut short");
            }
            frames.add(frame);
        }
    }

    static List<Message> messages(byte[] stream) throws IOException {
        List<Message> messages = new ArrayList<>();
        for (byte[] frame : frames(new java.io.ByteArrayInputStream(stream))) {
            messages.add(parse(new String(frame, StandardCharsets.UTF_8)));
        }
        return messages;
    }

    static Message parse(String text) {
        Cursor c = new Cursor(text);
        c.expect('<');
        int pri = Integer.parseInt(c.until('>'));
        c.expect('>');
        int version = Integer.parseInt(c.token());
        String timestamp = c.token();
        String hostname = c.token();
        String appName = c.token();
        String procId = c.token();
        String msgId = c.token();
        Map<String, Map<String, String>> sd = new LinkedHashMap<>();
        if (c.peek() == '-') {
            c.next();
        } else {
            while (c.hasMore() && c.peek() == '[') {
                c.next();
                String id = c.name();
                Map<String, String> params = new LinkedHashMap<>();
                while (c.peek() == ' ') {
                    c.next();
                    String name = c.name();
                    c.expect('=');
                    c.expect('"');
                    params.put(name, c.quotedValue());
                }
                c.expect(']');
                if (sd.put(id, params) != null) {
                    throw new IllegalArgumentException("duplicate SD-ID " + id);
                }
            }
        }
        String msg = "";
        if (c.hasMore()) {
            c.expect(' ');
            msg = c.rest();
        }
        return new Message(pri, version, timestamp, hostname, appName, procId, msgId, sd, msg);
    }

    private static final class Cursor {
        private final String text;
        private int at;

        Cursor(String text) {
            this.text = text;
        }

        boolean hasMore() {
            return at < text.length();
        }

        char peek() {
            return text.charAt(at);
        }

        char next() {
            return text.charAt(at++);
        }

        void expect(char c) {
            if (!hasMore() || next() != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + (at - 1) + " in " + text);
            }
        }

        String until(char c) {
            int start = at;
            while (peek() != c) {
                at++;
            }
            return text.substring(start, at);
        }

        /** A header field: printable ASCII up to the next space (which is consumed). */
        String token() {
            int start = at;
            while (peek() != ' ') {
                char c = next();
                if (c < 33 || c > 126) {
                    throw new IllegalArgumentException("header fields are printable ASCII");
                }
            }
            String token = text.substring(start, at);
            expect(' ');
            return token;
        }

        /** SD-NAME: 1 to 32 printable ASCII characters except '=', ' ', ']' and '"'. */
        String name() {
            int start = at;
            while (hasMore() && peek() > 32 && peek() < 127 && peek() != '=' && peek() != ']' && peek() != '"') {
                at++;
            }
            if (at == start || at - start > 32) {
                throw new IllegalArgumentException("SD-NAME must be 1 to 32 characters");
            }
            return text.substring(start, at);
        }

        /** PARAM-VALUE up to the closing quote; '\' escapes '"', '\' and ']' (and stands for itself before anything else). */
        String quotedValue() {
            StringBuilder value = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return value.toString();
                }
                if (c == ']') {
                    throw new IllegalArgumentException("unescaped ']' in a PARAM-VALUE");
                }
                if (c == '\\' && (peek() == '"' || peek() == '\\' || peek() == ']')) {
                    value.append(next());
                } else {
                    value.append(c);
                }
            }
        }

        String rest() {
            String rest = text.substring(at);
            at = text.length();
            return rest;
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }
}
