package dev.portcullis.core.admin;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Core's version, from the build (resource filtered by Maven). */
public final class CoreVersion {

    private static final String RESOURCE = "/portcullis/core-version.properties";
    private static final String VERSION = load();

    private CoreVersion() {
    }

    public static String current() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = CoreVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
