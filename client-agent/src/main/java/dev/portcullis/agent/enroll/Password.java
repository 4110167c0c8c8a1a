package dev.portcullis.agent.enroll;

import dev.portcullis.agent.outcome.AgentFailure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Set;

/**
 * The password the user chose, typed twice or read from {@code --password-file}. Held as
 * characters so it can be wiped; {@code toString} never shows it. Core checks the rules; this
 * class only checks that there is something to send.
 */
public final class Password {

    /**
     * Largest password file we read: core accepts at most 128 code points (512 UTF-8 bytes), so
     * anything larger is not a password file.
     */
    static final int MAX_FILE_BYTES = 4096;

    private final char[] characters;

    Password(char[] characters) {
        this.characters = characters.clone();
    }

    /**
     * The first line of {@code file}, without its line ending. The file must be readable only by
     * its owner: a password that others can read is not a secret any more.
     */
    public static Password fromFile(Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw AgentFailure.usage("cannot read the password file " + file);
        }
        byte[] bytes = null;
        try {
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
                if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                    throw AgentFailure.usage("the password file " + file + " can be read by other users; run: chmod 600 " + file);
                }
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw AgentFailure.usage("the password file " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(file);
            int end = 0;
            while (end < bytes.length && bytes[end] != '\n' && bytes[end] != '\r') {
                end++;
            }
            CharBuffer decoded = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, end));
            char[] characters = new char[decoded.remaining()];
            decoded.get(characters);
            Arrays.fill(decoded.array(), '\0');
            if (characters.length == 0) {
                throw AgentFailure.usage("the password file " + file + " is empty (the password is its first line)");
            }
            Password password = new Password(characters);
            Arrays.fill(characters, '\0');
            return password;
        } catch (CharacterCodingException e) {
            throw AgentFailure.usage("the password file " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw AgentFailure.usage("cannot read the password file " + file + " (" + e.getClass().getSimpleName() + ")");
        } finally {
            if (bytes != null) {
                Arrays.fill(bytes, (byte) 0);
            }
        }
    }

    boolean isEmpty() {
        return characters.length == 0;
    }

    /** Constant time, though both sides are the user's own typing. */
    boolean sameAs(Password other) {
        byte[] mine = utf8();
        byte[] theirs = other.utf8();
        try {
            return MessageDigest.isEqual(mine, theirs);
        } finally {
            Arrays.fill(mine, (byte) 0);
            Arrays.fill(theirs, (byte) 0);
        }
    }

    /** The plaintext, for the one request body that carries it to the pinned proxy. */
    String reveal() {
        return new String(characters);
    }

    void wipe() {
        Arrays.fill(characters, '\0');
    }

    private byte[] utf8() {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(characters));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        Arrays.fill(encoded.array(), (byte) 0);
        return bytes;
    }

    @Override
    public String toString() {
        return "Password[<redacted>]";
    }
}
