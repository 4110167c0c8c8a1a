package dev.portcullis.enrollment.webauthn;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Just enough definite-length CBOR (RFC 8949) to write what an authenticator writes: integers,
 * byte and text strings, maps. Written by hand so the test does not encode with the same library
 * the code under test decodes with.
 */
final class Cbor {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Cbor map(int entries) {
        return head(5, entries);
    }

    Cbor integer(long value) {
        return value >= 0 ? head(0, value) : head(1, -1 - value);
    }

    Cbor bytes(byte[] value) {
        head(2, value.length);
        out.writeBytes(value);
        return this;
    }

    Cbor text(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        head(3, utf8.length);
        out.writeBytes(utf8);
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private Cbor head(int major, long value) {
        int type = major << 5;
        if (value < 24) {
            out.write(type | (int) value);
        } else if (value < 0x100) {
            out.write(type | 24);
            out.write((int) value);
        } else if (value < 0x10000) {
            out.write(type | 25);
            out.write((int) (value >> 8));
            out.write((int) value);
        } else {
            out.write(type | 26);
            for (int shift = 24; shift >= 0; shift -= 8) {
                out.write((int) (value >> shift));
            }
        }
        return this;
    }
}
