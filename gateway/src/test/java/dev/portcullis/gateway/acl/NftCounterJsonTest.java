package dev.portcullis.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NftCounterJsonTest {

    /** What nft 1.0.6 prints for {@code nft -j list counter inet portcullis_wg0 dropped}. */
    private static final String REAL = "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": "
            + "\"Lester Gooch #5\", \"json_schema_version\": 1}}, {\"counter\": {\"family\": \"inet\", \"name\": "
            + "\"dropped\", \"table\": \"portcullis_wg0\", \"handle\": 1, \"packets\": 17, \"bytes\": 1020}}]}";

    @Test
    void nftsListingOfTheCounterIsRead() throws Exception {
        assertThat(NftCounterJson.parse(REAL, "inet", "portcullis_wg0", "dropped"))
                .isEqualTo(new NftCounterJson.Reading(17, 1020));
    }

    @Test
    void unknownFieldsFromNewerNftVersionsAreSkipped() throws Exception {
        String json = REAL.replace("\"handle\": 1,", "\"handle\": 1, \"comment\": {\"x\": [1, 2]},");

        assertThat(NftCounterJson.parse(json, "inet", "portcullis_wg0", "dropped").packets()).isEqualTo(17);
    }

    @Test
    void aCounterOfAnotherTableIsNotTakenForOurs() {
        assertThatThrownBy(() -> NftCounterJson.parse(REAL, "inet", "portcullis_wg1", "dropped"))
                .isInstanceOf(FirewallException.class).hasMessageContaining("not the one asked for");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "{",
            "[]",
            "{\"nftables\": []}",
            "{\"other\": []}",
            "{\"nftables\": [{\"counter\": {\"family\": \"inet\", \"name\": \"dropped\", \"table\": \"portcullis_wg0\", \"packets\": 1}}]}",
            "{\"nftables\": [{\"counter\": {\"family\": \"inet\", \"name\": \"dropped\", \"table\": \"portcullis_wg0\", \"packets\": -1, \"bytes\": 0}}]}",
            "{\"nftables\": [{\"counter\": {\"family\": \"inet\", \"name\": \"dropped\", \"table\": \"portcullis_wg0\", \"packets\": 1.5, \"bytes\": 0}}]}",
            "{\"nftables\": [{\"counter\": {\"family\": \"inet\", \"name\": \"dropped\", \"table\": \"portcullis_wg0\", \"packets\": \"1\", \"bytes\": 0}}]}",
            "{\"nftables\": [{\"counter\": {\"family\": \"inet\", \"name\": \"dropped\", \"table\": \"portcullis_wg0\", \"packets\": 99999999999999999999, \"bytes\": 0}}]}",
            "{\"nftables\": [{\"counter\": {\"family\": \"inet\", \"name\": \"dropped\", \"table\": \"portcullis_wg0\", \"packets\": 1, \"packets\": 2, \"bytes\": 0}}]}",
            "{\"nftables\": [{\"counter\": {\"family\": \"inet\", \"name\": \"dropped\", \"table\": \"portcullis_wg0\", \"packets\": 1, \"bytes\": 0}}, "
                    + "{\"counter\": {\"family\": \"inet\", \"name\": \"dropped\", \"table\": \"portcullis_wg0\", \"packets\": 2, \"bytes\": 0}}]}",
            "{\"nftables\": [{\"counter\": {\"family\": \"inet\", \"name\": \"dropped\", \"table\": \"portcullis_wg0\", \"packets\": 1, \"bytes\": 0}}]} trailing",
            "{\"nftables\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    })
    void malformedOrHostileListingsAreErrorsNotGuesses(String json) {
        assertThatThrownBy(() -> NftCounterJson.parse(json, "inet", "portcullis_wg0", "dropped"))
                .isInstanceOf(FirewallException.class)
                .hasMessageStartingWith("nft counter listing is malformed");
    }
}
