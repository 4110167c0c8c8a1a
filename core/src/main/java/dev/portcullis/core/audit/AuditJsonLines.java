package dev.portcullis.core.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON-lines export format: one object per line, {@code "type"} first, fields in a fixed order.
 * <pre>
 * {"type":"record","seq":1,"recorded_at":"2026-11-22T10:15:30.123456Z","actor":"admin:alice","action":"invite.issued",
 *  "subject":"bob","source_address":"10.0.0.5","outcome":"SUCCESS","details":{"expires_in":"86400"},
 *  "prev_hash":"00…","hash":"3f…"}
 * {"type":"checkpoint","seq":1,"hash":"3f…","signed_at":"…","key_id":"…","signature":"…"}
 * {"type":"segment","first_seq":1,"last_seq":1000,"prev_hash":"…","last_hash":"…","record_count":1000,
 *  "sealed_at":"…","file_name":"audit-….jsonl","file_sha256":"…","key_id":"…","signature":"…"}
 * </pre>
 * Hashes and signatures are lower-case hex; times are ISO-8601 UTC with at most six fraction digits
 * (the reader insists on exactly this form, so one instant has one spelling). A checkpoint line follows
 * the record it covers; a segment line, if any, comes first: it is the signed anchor the chain continues from.
 * The reader rejects unknown fields, duplicate fields and wrong types rather than guessing (duplicates are
 * checked here rather than by Jackson's detector, which costs a hash set per line).
 */
final class AuditJsonLines {

    /** A line longer than this is not one this format writes (a record is a few kilobytes at most). */
    static final int MAX_LINE_CHARS = 64 * 1024;
    private static final HexFormat HEX = HexFormat.of();
    /** The bit of source_address in the reader's field set (it may be null, so presence is tracked apart from value). */
    private static final int SOURCE_FIELD = 11;
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE) // whoever opened the stream closes it (and may read on)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(MAX_LINE_CHARS).maxNestingDepth(4).maxNumberLength(20).build())
            .build();

    private AuditJsonLines() {
    }

    // ---- writing --------------------------------------------------------------------------------

    /** Appends {@code entry} as one line, newline included. */
    static void write(AuditEntry entry, StringBuilder out) {
        if (entry instanceof AuditRecord r) {
            out.append("{\"type\":\"record\",\"seq\":").append(r.seq());
            out.append(",\"recorded_at\":\"").append(r.recordedAt()).append('"');
            field(out, "actor", r.actor());
            field(out, "action", r.action());
            field(out, "subject", r.subject());
            field(out, "source_address", r.sourceAddress());
            field(out, "outcome", r.outcome());
            out.append(",\"details\":");
            details(out, r.details());
            out.append(",\"prev_hash\":\"").append(r.prevHash().hex()).append('"');
            out.append(",\"hash\":\"").append(r.hash().hex()).append("\"}\n");
        } else if (entry instanceof AuditCheckpoint c) {
            out.append("{\"type\":\"checkpoint\",\"seq\":").append(c.seq());
            out.append(",\"hash\":\"").append(c.hash().hex()).append('"');
            out.append(",\"signed_at\":\"").append(c.signedAt()).append('"');
            field(out, "key_id", c.keyId());
            out.append(",\"signature\":\"").append(HEX.formatHex(c.signature())).append("\"}\n");
        } else if (entry instanceof AuditSegment s) {
            out.append("{\"type\":\"segment\",\"first_seq\":").append(s.firstSeq());
            out.append(",\"last_seq\":").append(s.lastSeq());
            out.append(",\"prev_hash\":\"").append(s.prevHash().hex()).append('"');
            out.append(",\"last_hash\":\"").append(s.lastHash().hex()).append('"');
            out.append(",\"record_count\":").append(s.recordCount());
            out.append(",\"sealed_at\":\"").append(s.sealedAt()).append('"');
            field(out, "file_name", s.fileName());
            out.append(",\"file_sha256\":\"").append(HEX.formatHex(s.fileSha256())).append('"');
            field(out, "key_id", s.keyId());
            out.append(",\"signature\":\"").append(HEX.formatHex(s.signature())).append("\"}\n");
        }
    }

    static String line(AuditEntry entry) {
        StringBuilder out = new StringBuilder(512);
        write(entry, out);
        return out.toString();
    }

    /** Details as one JSON object, keys in ascending order (what the pending and records tables store). */
    static String detailsJson(Map<String, String> details) {
        StringBuilder out = new StringBuilder(2 + 32 * details.size());
        details(out, details);
        return out.toString();
    }

    private static void details(StringBuilder out, Map<String, String> details) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, String> detail : details.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, detail.getKey());
            out.append(':');
            string(out, detail.getValue());
        }
        out.append('}');
    }

    /** Parses a JSON object of string values (as PostgreSQL prints a jsonb column). */
    static TreeMap<String, String> parseDetails(String json) throws java.sql.SQLException {
        try (JsonParser parser = JSON.createParser(json)) {
            TreeMap<String, String> details = new TreeMap<>();
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new java.sql.SQLDataException("audit details are not a JSON object");
            }
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                if (parser.nextToken() != JsonToken.VALUE_STRING) {
                    throw new java.sql.SQLDataException("audit detail values must be strings");
                }
                details.put(key, parser.getText());
            }
            if (token != JsonToken.END_OBJECT) {
                throw new java.sql.SQLDataException("audit details are not a JSON object");
            }
            return details;
        } catch (IOException e) {
            throw new java.sql.SQLDataException("audit details are not valid JSON");
        }
    }

    private static void field(StringBuilder out, String name, String value) {
        out.append(",\"").append(name).append("\":");
        if (value == null) {
            out.append("null");
        } else {
            string(out, value);
        }
    }

    /** A JSON string: quotes, backslashes, control characters and lone surrogates escaped; the rest as is. */
    static void string(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        unicodeEscape(out, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(i + 1))) {
                        out.append(c).append(value.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        unicodeEscape(out, c);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void unicodeEscape(StringBuilder out, char c) {
        out.append("\\u");
        String hex = Integer.toHexString(c);
        out.append("0".repeat(4 - hex.length())).append(hex);
    }

    /**
     * Parses {@code yyyy-MM-ddTHH:mm:ss[.SSS|.SSSSSS]Z} exactly as {@link Instant#toString()} writes an instant
     * kept to the microsecond (years 0000 to 9999), without the general formatter (the verifier reads one per
     * record); null if {@code text} has another shape or is not canonical (e.g. ".000", or ".120000" for ".120").
     */
    static Instant canonicalInstant(String text) {
        int n = text.length();
        if (n != 20 && n != 24 && n != 27 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
                || text.charAt(13) != ':' || text.charAt(16) != ':' || text.charAt(n - 1) != 'Z'
                || n > 20 && text.charAt(19) != '.') {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 7);
        int day = digits(text, 8, 10);
        int hour = digits(text, 11, 13);
        int minute = digits(text, 14, 16);
        int second = digits(text, 17, 19);
        int fraction = n == 20 ? 0 : digits(text, 20, n - 1);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0
                || minute > 59 || second < 0 || second > 59 || fraction < 0
                || n == 24 && fraction == 0 || n == 27 && fraction % 1_000 == 0) {
            return null;
        }
        if (day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
            return null;
        }
        long epochDay = java.time.LocalDate.of(year, month, day).toEpochDay();
        long nanos = n == 24 ? fraction * 1_000_000L : fraction * 1_000L;
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600 + minute * 60 + second, nanos);
    }

    /** The decimal number in {@code text[from, to)}, or -1 if any character is not a digit. */
    private static int digits(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    // ---- reading --------------------------------------------------------------------------------

    /** A line that is not a well-formed entry of this format; says which line and why, never quotes it. */
    static final class MalformedLineException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long line;
        private final boolean truncated;

        MalformedLineException(long line, String reason, boolean truncated) {
            super("line " + line + ": " + reason);
            this.line = line;
            this.truncated = truncated;
        }

        long line() {
            return line;
        }

        /** The input ended inside an entry. */
        boolean truncated() {
            return truncated;
        }
    }

    /** Reads entries one by one from a stream (UTF-8). Not thread-safe. */
    static final class Reader implements Closeable {

        private final InputStream in;
        private final JsonParser parser;

        /** Reads {@code in} without closing it. */
        Reader(InputStream in) throws IOException {
            this.in = in;
            this.parser = JSON.createParser(in);
        }

        /** The next entry, or null at the end of the input. */
        AuditEntry next() throws IOException {
            JsonToken token;
            try {
                token = parser.nextToken();
            } catch (JsonParseException e) {
                throw malformed("not JSON", e);
            }
            if (token == null) {
                return null;
            }
            long line = parser.currentTokenLocation().getLineNr();
            if (token != JsonToken.START_OBJECT) {
                throw new MalformedLineException(line, "expected a JSON object", false);
            }
            try {
                return entry(line);
            } catch (JsonParseException e) {
                throw malformed("not JSON", e);
            } catch (IllegalArgumentException | DateTimeParseException | ArithmeticException e) {
                throw new MalformedLineException(line, "a hash, signature, number or time is not well-formed", false);
            }
        }

        private MalformedLineException malformed(String reason, JsonParseException e) {
            boolean truncated = e instanceof JsonEOFException || lastLineUnterminated();
            long line = e.getLocation() == null ? parser.currentLocation().getLineNr() : e.getLocation().getLineNr();
            return new MalformedLineException(line, truncated ? "the input ends inside an entry (truncated)" : reason,
                    truncated);
        }

        /**
         * True if no line break follows the point where parsing failed: the broken line is the last one
         * and was cut (every line this format writes ends with one). Reads on to the end of the input.
         */
        private boolean lastLineUnterminated() {
            try {
                ByteArrayOutputStream buffered = new ByteArrayOutputStream();
                parser.releaseBuffered(buffered);
                for (byte b : buffered.toByteArray()) {
                    if (b == '\n') {
                        return false;
                    }
                }
                int b;
                while ((b = in.read()) >= 0) {
                    if (b == '\n') {
                        return false;
                    }
                }
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        private AuditEntry entry(long line) throws IOException {
            String type = null;
            Long seq = null;
            Long firstSeq = null;
            Long lastSeq = null;
            Long recordCount = null;
            Instant recordedAt = null;
            Instant signedAt = null;
            Instant sealedAt = null;
            String actor = null;
            String action = null;
            String subject = null;
            String source = null;
            String outcome = null;
            TreeMap<String, String> details = null;
            AuditHash prevHash = null;
            AuditHash hash = null;
            AuditHash lastHash = null;
            String keyId = null;
            String fileName = null;
            byte[] fileSha256 = null;
            byte[] signature = null;
            JsonToken token;
            long seen = 0; // one bit per field: a second occurrence is refused, not silently taken
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                int field;
                switch (name) {
                    case "type" -> {
                        field = 0;
                        type = text(value, name, line);
                    }
                    case "seq" -> {
                        field = 1;
                        seq = number(value, name, line);
                    }
                    case "first_seq" -> {
                        field = 2;
                        firstSeq = number(value, name, line);
                    }
                    case "last_seq" -> {
                        field = 3;
                        lastSeq = number(value, name, line);
                    }
                    case "record_count" -> {
                        field = 4;
                        recordCount = number(value, name, line);
                    }
                    case "recorded_at" -> {
                        field = 5;
                        recordedAt = instant(text(value, name, line), name, line);
                    }
                    case "signed_at" -> {
                        field = 6;
                        signedAt = instant(text(value, name, line), name, line);
                    }
                    case "sealed_at" -> {
                        field = 7;
                        sealedAt = instant(text(value, name, line), name, line);
                    }
                    case "actor" -> {
                        field = 8;
                        actor = text(value, name, line);
                    }
                    case "action" -> {
                        field = 9;
                        action = text(value, name, line);
                    }
                    case "subject" -> {
                        field = 10;
                        subject = text(value, name, line);
                    }
                    case "source_address" -> {
                        field = 11;
                        source = value == JsonToken.VALUE_NULL ? null : text(value, name, line);
                    }
                    case "outcome" -> {
                        field = 12;
                        outcome = text(value, name, line);
                    }
                    case "details" -> {
                        field = 13;
                        details = details(value, line);
                    }
                    case "prev_hash" -> {
                        field = 14;
                        prevHash = AuditHash.fromHex(text(value, name, line));
                    }
                    case "hash" -> {
                        field = 15;
                        hash = AuditHash.fromHex(text(value, name, line));
                    }
                    case "last_hash" -> {
                        field = 16;
                        lastHash = AuditHash.fromHex(text(value, name, line));
                    }
                    case "key_id" -> {
                        field = 17;
                        keyId = text(value, name, line);
                    }
                    case "file_name" -> {
                        field = 18;
                        fileName = text(value, name, line);
                    }
                    case "file_sha256" -> {
                        field = 19;
                        fileSha256 = hex(text(value, name, line), 32, name);
                    }
                    case "signature" -> {
                        field = 20;
                        signature = hex(text(value, name, line), AuditCheckpoint.SIGNATURE_BYTES, name);
                    }
                    default -> throw new MalformedLineException(line, "unknown field", false);
                }
                if ((seen & 1L << field) != 0) {
                    throw new MalformedLineException(line, "duplicate field " + name, false);
                }
                seen |= 1L << field;
            }
            if (token != JsonToken.END_OBJECT) {
                throw new MalformedLineException(line, "unexpected token", false);
            }
            if (type == null) {
                throw new MalformedLineException(line, "no type", false);
            }
            String sourcePresent = (seen & 1L << SOURCE_FIELD) != 0 ? "" : null; // source_address may be null
            switch (type) {
                case "record" -> {
                    require(line, seq, recordedAt, actor, action, subject, sourcePresent, outcome, details, prevHash, hash);
                    noneOf(line, firstSeq, lastSeq, recordCount, signedAt, sealedAt, lastHash, keyId, fileName, fileSha256,
                            signature);
                    return new AuditRecord(seq, recordedAt, actor, action, subject, source, outcome, details, prevHash,
                            hash);
                }
                case "checkpoint" -> {
                    require(line, seq, hash, signedAt, keyId, signature);
                    noneOf(line, firstSeq, lastSeq, recordCount, recordedAt, sealedAt, actor, action, subject,
                            sourcePresent, outcome, details, prevHash, lastHash, fileName, fileSha256);
                    return new AuditCheckpoint(seq, hash, signedAt, keyId, signature);
                }
                case "segment" -> {
                    require(line, firstSeq, lastSeq, prevHash, lastHash, recordCount, sealedAt, fileName, fileSha256, keyId,
                            signature);
                    noneOf(line, seq, recordedAt, signedAt, actor, action, subject, sourcePresent, outcome, details, hash);
                    return new AuditSegment(firstSeq, lastSeq, prevHash, lastHash, recordCount, sealedAt, fileName,
                            fileSha256, keyId, signature);
                }
                default -> throw new MalformedLineException(line, "unknown type", false);
            }
        }

        private static void require(long line, Object... values) throws MalformedLineException {
            for (Object value : values) {
                if (value == null) {
                    throw new MalformedLineException(line, "a required field is missing", false);
                }
            }
        }

        private static void noneOf(long line, Object... values) throws MalformedLineException {
            for (Object value : values) {
                if (value != null) {
                    throw new MalformedLineException(line, "a field of another entry type is present", false);
                }
            }
        }

        private String text(JsonToken value, String name, long line) throws IOException {
            if (value != JsonToken.VALUE_STRING) {
                throw new MalformedLineException(line, name + " must be a string", false);
            }
            return parser.getText();
        }

        private long number(JsonToken value, String name, long line) throws IOException {
            if (value != JsonToken.VALUE_NUMBER_INT || parser.getNumberType() != JsonParser.NumberType.INT
                    && parser.getNumberType() != JsonParser.NumberType.LONG) {
                throw new MalformedLineException(line, name + " must be an integer", false);
            }
            return parser.getLongValue();
        }

        private TreeMap<String, String> details(JsonToken value, long line) throws IOException {
            if (value != JsonToken.START_OBJECT) {
                throw new MalformedLineException(line, "details must be an object", false);
            }
            TreeMap<String, String> details = new TreeMap<>();
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                if (parser.nextToken() != JsonToken.VALUE_STRING) {
                    throw new MalformedLineException(line, "detail values must be strings", false);
                }
                if (details.put(key, parser.getText()) != null) {
                    throw new MalformedLineException(line, "duplicate detail " + key.replaceAll("[^a-z0-9_.-]", "?"), false);
                }
                if (details.size() > AuditEvent.MAX_DETAILS) {
                    throw new MalformedLineException(line, "more than " + AuditEvent.MAX_DETAILS + " details", false);
                }
            }
            if (token != JsonToken.END_OBJECT) {
                throw new MalformedLineException(line, "unexpected token in details", false);
            }
            return details;
        }

        private static Instant instant(String text, String name, long line) throws MalformedLineException {
            Instant instant = canonicalInstant(text);
            if (instant == null) {
                // not the common shape: let the JDK parse it, then insist on the one spelling Instant.toString() writes
                instant = Instant.parse(text);
                if (instant.getNano() % 1_000 != 0 || !instant.toString().equals(text)) {
                    throw new MalformedLineException(line, name + " is not in canonical form (UTC, at most 6 fraction "
                            + "digits)", false);
                }
            }
            return instant;
        }

        private static byte[] hex(String text, int bytes, String name) {
            if (text.length() != 2 * bytes) {
                throw new IllegalArgumentException(name + " must be " + 2 * bytes + " hex digits");
            }
            return HEX.parseHex(text);
        }

        @Override
        public void close() throws IOException {
            parser.close();
        }
    }
}
