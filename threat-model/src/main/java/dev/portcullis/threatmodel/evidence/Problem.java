package dev.portcullis.threatmodel.evidence;

import java.nio.file.Path;

/** One thing wrong with the threat model's evidence, at a line of one markdown file. */
public record Problem(Path file, int line, String message) {

    @Override
    public String toString() {
        return file.getFileName() + ":" + line + ": " + message;
    }
}
