package dev.portcullis.core.audit;

import dev.portcullis.core.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the chained audit records back for tests (pending events are chained first). */
public final class AuditRows {

    /** One chained record as stored; {@code outcome} is the chain's (SUCCESS, FAILURE, DENIED). */
    public record Row(long seq, String actor, String action, String subject, String source, String outcome,
                      Map<String, String> details) {
    }

    private AuditRows() {
    }

    /** Every chained record with {@code action}, oldest first. */
    public static List<Row> of(Database database, AuditLog log, String action) {
        log.sync();
        return database.inTransaction(connection -> {
            List<Row> rows = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT seq, actor, action, subject, source_address, outcome FROM audit_records WHERE action = ? ORDER BY seq");
                 PreparedStatement details = connection.prepareStatement(
                         "SELECT d.key, d.value FROM audit_records r, jsonb_each_text(r.details) d WHERE r.seq = ? ORDER BY d.key")) {
                select.setString(1, action);
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        long seq = rs.getLong("seq");
                        Map<String, String> values = new LinkedHashMap<>();
                        details.setLong(1, seq);
                        try (ResultSet d = details.executeQuery()) {
                            while (d.next()) {
                                values.put(d.getString(1), d.getString(2));
                            }
                        }
                        rows.add(new Row(seq, rs.getString("actor"), rs.getString("action"), rs.getString("subject"),
                                rs.getString("source_address"), rs.getString("outcome"), values));
                    }
                }
            }
            return rows;
        });
    }

    /** The only record with {@code action}; fails if there is none or more than one. */
    public static Row single(Database database, AuditLog log, String action) {
        List<Row> rows = of(database, log, action);
        if (rows.size() != 1) {
            throw new AssertionError("expected exactly one '" + action + "' record, found " + rows.size() + ": " + rows);
        }
        return rows.get(0);
    }

    /** The whole audit trail as text: every chained and still-pending row, all columns, one line each. */
    public static String allText(Database database, AuditLog log) {
        log.sync();
        return database.inTransaction(connection -> {
            StringBuilder text = new StringBuilder();
            for (String table : List.of("audit_records", "audit_pending")) {
                try (PreparedStatement select = connection.prepareStatement("SELECT t::text FROM " + table + " t");
                     ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        text.append(rs.getString(1)).append('\n');
                    }
                }
            }
            return text.toString();
        });
    }

    /** The forms a secret could take in text: standard and URL-safe base64 (with and without padding), hex. */
    public static List<String> encodings(byte[] secret) {
        return List.of(Base64.getEncoder().encodeToString(secret),
                Base64.getEncoder().withoutPadding().encodeToString(secret),
                Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
                HexFormat.of().formatHex(secret),
                HexFormat.of().withUpperCase().formatHex(secret));
    }
}
