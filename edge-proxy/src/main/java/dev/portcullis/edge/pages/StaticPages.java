package dev.portcullis.edge.pages;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The public front end (the enrollment pages and the tunnel-MFA hand-off page), read from the
 * proxy's own jar once at start. Only the files named here exist: no request path is ever turned
 * into a class path or file name, so nothing else in the jar (or on disk) can be reached through
 * {@code /assets/}. A file missing from the build stops the proxy at start instead of failing a
 * user mid-enrollment.
 */
public final class StaticPages {

    /** Where the files live on the class path (src/main/resources/public, plus the QR library vendored at build time). */
    public static final String CLASSPATH_ROOT = "public/";
    /** The pages and the fixed set of files they load. */
    public enum Page {
        /** {@code GET /enroll/<anything>}: the invite ceremony. */
        ENROLL("enroll.html"),
        /** {@code GET /reset/<anything>}: choose a new password with a reset link. */
        RESET("reset.html"),
        /** {@code GET /forgot}: ask for a reset link. */
        FORGOT("forgot.html"),
        /**
         * {@code GET /mfa/<token>}: the browser hand-off of a tunnel session's WebAuthn step
         * (client-agent/SESSION-API.md, "Browser hand-off for WebAuthn").
         */
        MFA("mfa.html");

        private final String file;

        Page(String file) {
            this.file = file;
        }

        public String file() {
            return file;
        }
    }

    /**
     * Every file under {@code /assets/}: the pages' scripts and style sheet, and the QR code
     * library ({@code qrcode-generator}, copied from npm into the jar by the build).
     */
    public static final List<String> ASSET_NAMES = List.of(
            "portcullis.css", "portcullis.js", "enroll.js", "reset.js", "forgot.js", "mfa.js", "qrcode.js");
    /** The largest file the pages need is the QR library (about 56 KiB); this only guards against a broken build. */
    public static final int MAX_FILE_BYTES = 1024 * 1024;

    private final Map<Page, StaticResource> pages;
    private final Map<String, StaticResource> assets;

    private StaticPages(Map<Page, StaticResource> pages, Map<String, StaticResource> assets) {
        this.pages = pages;
        this.assets = assets;
    }

    /** Reads every page and asset from the class path; throws if one is missing. */
    public static StaticPages fromClasspath() {
        ClassLoader loader = StaticPages.class.getClassLoader();
        Map<Page, StaticResource> pages = new EnumMap<>(Page.class);
        for (Page page : Page.values()) {
            pages.put(page, read(loader, page.file()));
        }
        Map<String, StaticResource> assets = new LinkedHashMap<>();
        for (String name : ASSET_NAMES) {
            assets.put(name, read(loader, "assets/" + name));
        }
        return new StaticPages(pages, assets);
    }

    public StaticResource page(Page page) {
        return pages.get(page);
    }

    /** The asset of that exact name, if it is one of {@link #ASSET_NAMES}. */
    public Optional<StaticResource> asset(String name) {
        return Optional.ofNullable(assets.get(name));
    }

    /** The content type a file is served with, from its extension. */
    public static String contentType(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        throw new IllegalArgumentException("no content type for " + name);
    }

    private static StaticResource read(ClassLoader loader, String name) {
        String path = CLASSPATH_ROOT + name;
        try (InputStream in = loader.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the edge-proxy jar; rebuild it with ./mvnw -pl edge-proxy -am verify");
            }
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new IllegalStateException(path + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            return new StaticResource(name, bytes, contentType(name), etag(bytes));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + " from the edge-proxy jar", e);
        }
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 18)) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
