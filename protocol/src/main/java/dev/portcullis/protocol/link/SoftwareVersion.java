package dev.portcullis.protocol.link;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version a component reports to core in Hello, read from the Maven metadata packed into its jar. */
public final class SoftwareVersion {

    /** Reported when running from classes rather than a packaged jar (tests, IDE). */
    public static final String UNPACKAGED = "unpackaged";

    private SoftwareVersion() {
    }

    public static String of(String groupId, String artifactId) {
        String resource = "/META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
        try (InputStream in = SoftwareVersion.class.getResourceAsStream(resource)) {
            if (in == null) {
                return UNPACKAGED;
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", UNPACKAGED);
        } catch (IOException e) {
            return UNPACKAGED;
        }
    }
}
