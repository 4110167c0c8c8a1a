package dev.portcullis.edge.pages;

import java.util.Objects;

/**
 * One file the proxy serves as it is: its name, bytes, content type and a strong validator.
 *
 * @param name        the file name under {@code public/} (e.g. {@code assets/enroll.js})
 * @param contentType the Content-Type to answer with
 * @param etag        a quoted strong ETag derived from the bytes
 */
public record StaticResource(String name, byte[] bytes, String contentType, String etag) {

    public StaticResource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(etag, "etag");
        bytes = bytes.clone();
    }

    /** A copy: the served bytes cannot be changed through this record. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StaticResource that && name.equals(that.name) && etag.equals(that.etag);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, etag);
    }

    @Override
    public String toString() {
        return "StaticResource[" + name + ", " + contentType + ", " + bytes.length + " bytes]";
    }
}
