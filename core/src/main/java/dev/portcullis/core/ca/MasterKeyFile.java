package dev.portcullis.core.ca;

import dev.portcullis.core.error.StartupRefusedException;
import dev.portcullis.core.secretfile.OwnerOnlyFile;
import dev.portcullis.pki.authority.MasterKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The file holding the master key: 32 random bytes, owner-only. It lives outside the database
 * so that a database backup alone opens nothing. Core refuses a key file others can read.
 */
public final class MasterKeyFile {

    private final Path path;

    public MasterKeyFile(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    public boolean exists() {
        return Files.exists(path);
    }

    /** Reads the key; the file must exist, be owner-only and hold exactly 32 bytes. */
    public MasterKey read() {
        if (!exists()) {
            throw new StartupRefusedException("master key file " + path + " does not exist, but the database already "
                    + "holds a CA sealed with a master key; restore the original file (or set portcullis.master-key-file)");
        }
        byte[] bytes = OwnerOnlyFile.read(path);
        try {
            if (bytes.length != MasterKey.BYTES) {
                throw new StartupRefusedException("master key file " + path + " must hold exactly " + MasterKey.BYTES
                        + " bytes (it holds " + bytes.length + "); restore the original file");
            }
            return MasterKey.fromBytes(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** Creates a new random key, owner-only from the first byte. Only for a core that has no CA yet. */
    public MasterKey create() {
        if (exists()) {
            throw new IllegalStateException("refusing to overwrite " + path);
        }
        MasterKey key = MasterKey.generate();
        byte[] bytes = key.bytes();
        try {
            OwnerOnlyFile.write(path, bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        return key;
    }

    @Override
    public String toString() {
        return "MasterKeyFile[" + path + "]";
    }
}
