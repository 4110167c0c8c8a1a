package dev.portcullis.core.admin;

import dev.portcullis.core.secretfile.OwnerOnlyFile;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First-start ceremony for the admin API: mint the bootstrap admin token, write it to an
 * owner-only file and show it once on the console. The token never goes to the log. Later starts
 * do nothing.
 */
public final class AdminBootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(AdminBootstrap.class);

    private AdminBootstrap() {
    }

    /** Returns true if this was the first start and a bootstrap token was created. */
    public static boolean run(AdminTokens tokens, Path tokenFile, PrintStream console) {
        return tokens.createBootstrapIfFirstStart(token -> {
            OwnerOnlyFile.write(tokenFile, (token.reveal() + "\n").getBytes(StandardCharsets.US_ASCII));
            console.println();
            console.println("Portcullis core: first start. Bootstrap admin token (shown only this once):");
            console.println();
            console.println("    " + token.reveal());
            console.println();
            console.println("It is also in " + tokenFile.toAbsolutePath() + " (readable by its owner only).");
            console.println("Use it with: portcullis-admin --token-file " + tokenFile.toAbsolutePath() + " status");
            console.println();
            console.flush();
        }).map(token -> {
            LOG.info("bootstrap admin token {} created and written to {}", token.id(), tokenFile.toAbsolutePath());
            return true;
        }).orElse(false);
    }
}
