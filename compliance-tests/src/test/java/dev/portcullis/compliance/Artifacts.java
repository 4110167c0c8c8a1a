package dev.portcullis.compliance;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the build put the shipped artifacts (the shaded, runnable jars). */
final class Artifacts {

    private Artifacts() {
    }

    static Path root() {
        return Path.of(System.getProperty("portcullis.root", "..")).toAbsolutePath().normalize();
    }

    static String buildDir() {
        return System.getProperty("portcullis.build.dir", "target");
    }

    static Path jar(String module) {
        String version = System.getProperty("portcullis.version", "0.1.0-SNAPSHOT");
        Path jar = root().resolve(module).resolve(buildDir()).resolve("portcullis-" + module + "-" + version + "-all.jar");
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("artifact " + jar + " is missing: build with ./mvnw verify (package runs before these tests)");
        }
        return jar;
    }
}
