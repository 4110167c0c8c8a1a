package dev.portcullis.protocol.link;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process, as the kernel counts it ({@code VmRSS} in {@code /proc/self/status}). */
public final class ProcessMemory {

    private static final Path SELF_STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /** Resident set size in bytes, or 0 where the kernel does not tell (not Linux). */
    public static long residentBytes() {
        return residentBytes(SELF_STATUS);
    }

    /** Reads {@code VmRSS} from a file in the format of {@code /proc/<pid>/status}; 0 if absent or unreadable. */
    public static long residentBytes(Path statusFile) {
        try {
            for (String line : Files.readAllLines(statusFile, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    return parseKilobytes(line.substring("VmRSS:".length())) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            // No /proc here, or a format we do not know: report "unknown".
        }
        return 0;
    }

    private static long parseKilobytes(String value) {
        String[] parts = value.strip().split("\\s+");
        if (parts.length != 2 || !"kB".equals(parts[1])) {
            return 0;
        }
        return Long.parseLong(parts[0]);
    }
}
