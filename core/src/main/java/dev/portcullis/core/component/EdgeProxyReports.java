package dev.portcullis.core.component;

import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.link.ComponentReports;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.enroll.TrustAnchorPin;
import dev.portcullis.protocol.v1.ComponentKind;
import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.Telemetry;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What edge proxies report about themselves: the pin of their public TLS chain (SHA-256 of its
 * topmost certificate), from every Hello. The latest value is kept on the component row; invite
 * links carry it as {@code #ca=}. Called on the links' stream threads: the write goes to
 * {@code writer}, and nothing here throws.
 */
public final class EdgeProxyReports implements ComponentReports {

    private static final Logger LOG = LoggerFactory.getLogger(EdgeProxyReports.class);

    private final Database database;
    private final Clock clock;
    private final Executor writer;

    public EdgeProxyReports(Database database, Clock clock, Executor writer) {
        this.database = database;
        this.clock = clock;
        this.writer = writer;
    }

    @Override
    public void hello(String componentId, Hello hello) {
        if (hello.getKind() != ComponentKind.COMPONENT_KIND_EDGE_PROXY) {
            return;
        }
        if (hello.getPublicTrustAnchorSha256().size() != TrustAnchorPin.BYTES) {
            LOG.warn("edge-proxy {} reported no valid public trust anchor pin in its Hello; invite links through it "
                    + "cannot be made until it does", componentId);
            return;
        }
        byte[] pin = hello.getPublicTrustAnchorSha256().toByteArray();
        Instant now = clock.instant();
        try {
            writer.execute(() -> {
                try {
                    record(componentId, pin, now);
                } catch (RuntimeException e) {
                    LOG.error("recording the trust anchor pin of edge-proxy {} failed", componentId, e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warn("edge-proxy report dropped: the report writer is busy or stopped");
        }
    }

    @Override
    public void telemetry(String componentId, Telemetry telemetry) {
    }

    /** Stores the pin on the component row (the write itself; public for tests that stand in for a Hello). */
    public void record(String componentId, byte[] pin, Instant now) {
        int rows = database.inTransaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE components SET public_trust_anchor_sha256 = ?, public_trust_anchor_reported_at = ? "
                            + "WHERE id = ? AND role = 'EDGE_PROXY' AND state <> 'REMOVED'")) {
                update.setBytes(1, pin);
                update.setObject(2, timestamp(now));
                update.setObject(3, UUID.fromString(componentId));
                return update.executeUpdate();
            }
        });
        if (rows == 1) {
            LOG.info("edge-proxy {} presents a public TLS chain pinned as {}", componentId, TrustAnchorPin.encode(pin));
        }
    }
}
