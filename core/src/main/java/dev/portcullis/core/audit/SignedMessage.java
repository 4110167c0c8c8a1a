package dev.portcullis.core.audit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Builds the exact bytes a checkpoint or segment signature covers: an ASCII domain label and a
 * zero byte (so a checkpoint signature can never pass for a segment one), then the fields in a
 * fixed order: int64 big-endian, hashes as their 32 bytes, instants as int64 microseconds since
 * the epoch, texts as uint32 UTF-8 length then UTF-8.
 */
final class SignedMessage {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(160);

    SignedMessage(String domain) {
        out.writeBytes(domain.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
    }

    SignedMessage int64(long value) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (value >>> shift));
        }
        return this;
    }

    SignedMessage hash(AuditHash hash) {
        out.writeBytes(hash.view());
        return this;
    }

    SignedMessage bytes32(byte[] bytes) {
        if (bytes.length != 32) {
            throw new IllegalArgumentException("expected 32 bytes");
        }
        out.writeBytes(bytes);
        return this;
    }

    SignedMessage instant(Instant instant) {
        return int64(RecordDigest.micros(instant));
    }

    SignedMessage text(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int n = utf8.length;
        out.write(n >>> 24);
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
        out.writeBytes(utf8);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
