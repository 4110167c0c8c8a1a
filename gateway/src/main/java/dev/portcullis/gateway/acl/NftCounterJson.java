package dev.portcullis.gateway.acl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;

/**
 * Reads one named counter out of {@code nft -j list counter FAMILY TABLE NAME}, strictly: the
 * document must be {@code {"nftables": [ … ]}} holding exactly one {@code counter} object with the
 * expected family, table and name and non-negative integer {@code packets} and {@code bytes}.
 * Anything else (malformed JSON, duplicate keys, a second counter, huge or fractional numbers) is an
 * error, never a guess. Unknown keys inside objects are skipped: newer nft versions add fields.
 */
final class NftCounterJson {

    /** Nesting nft's counter listing never needs; deeper input is hostile or broken. */
    private static final int MAX_NESTING = 16;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING)
                    .maxNumberLength(20).maxStringLength(4096).build())
            .build();

    /** A counter's values. */
    record Reading(long packets, long bytes) {
    }

    private NftCounterJson() {
    }

    static Reading parse(String json, String family, String table, String name) throws FirewallException {
        try (JsonParser parser = JSON.createParser(json)) {
            expect(parser.nextToken(), JsonToken.START_OBJECT);
            expect(parser.nextToken(), JsonToken.FIELD_NAME);
            if (!"nftables".equals(parser.currentName())) {
                throw malformed("top-level key is not nftables");
            }
            expect(parser.nextToken(), JsonToken.START_ARRAY);
            Reading found = null;
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                expect(parser.currentToken(), JsonToken.START_OBJECT);
                expect(parser.nextToken(), JsonToken.FIELD_NAME);
                String kind = parser.currentName();
                if ("counter".equals(kind)) {
                    if (found != null) {
                        throw malformed("more than one counter");
                    }
                    expect(parser.nextToken(), JsonToken.START_OBJECT);
                    found = readCounter(parser, family, table, name);
                } else {
                    parser.nextToken();
                    parser.skipChildren();
                }
                expect(parser.nextToken(), JsonToken.END_OBJECT);
            }
            expect(parser.nextToken(), JsonToken.END_OBJECT);
            if (parser.nextToken() != null) {
                throw malformed("trailing content");
            }
            if (found == null) {
                throw malformed("no counter");
            }
            return found;
        } catch (IOException | RuntimeException e) {
            // Jackson's messages quote the input; keep them out of the safe message.
            throw new FirewallException("nft counter listing is malformed", e);
        }
    }

    private static Reading readCounter(JsonParser parser, String family, String table, String name)
            throws IOException, FirewallException {
        String gotFamily = null;
        String gotTable = null;
        String gotName = null;
        long packets = -1;
        long bytes = -1;
        while (parser.nextToken() != JsonToken.END_OBJECT) {
            String key = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (key) {
                case "family" -> gotFamily = text(parser, value);
                case "table" -> gotTable = text(parser, value);
                case "name" -> gotName = text(parser, value);
                case "packets" -> packets = count(parser, value);
                case "bytes" -> bytes = count(parser, value);
                default -> parser.skipChildren();
            }
        }
        if (!family.equals(gotFamily) || !table.equals(gotTable) || !name.equals(gotName)) {
            throw malformed("counter is not the one asked for");
        }
        if (packets < 0 || bytes < 0) {
            throw malformed("counter lacks packets or bytes");
        }
        return new Reading(packets, bytes);
    }

    private static String text(JsonParser parser, JsonToken token) throws IOException, FirewallException {
        expect(token, JsonToken.VALUE_STRING);
        return parser.getText();
    }

    private static long count(JsonParser parser, JsonToken token) throws IOException, FirewallException {
        expect(token, JsonToken.VALUE_NUMBER_INT);
        if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw malformed("counter value out of range");
        }
        long value = parser.getLongValue();
        if (value < 0) {
            throw malformed("negative counter value");
        }
        return value;
    }

    private static void expect(JsonToken actual, JsonToken expected) throws FirewallException {
        if (actual != expected) {
            throw malformed("unexpected structure");
        }
    }

    private static FirewallException malformed(String why) {
        return new FirewallException("nft counter listing is malformed: " + why);
    }
}
