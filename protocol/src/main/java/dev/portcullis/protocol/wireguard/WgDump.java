package dev.portcullis.protocol.wireguard;

import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.net.Cidr;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Strict reader of {@code wg show IFACE dump}: a tab-separated interface line (private key, public
 * key, listen port, fwmark), then one line per peer (public key, preshared key, endpoint, allowed
 * IPs, latest handshake, rx bytes, tx bytes, persistent keepalive). The same bounds and the same
 * refusal to half-trust as {@link UapiResponse}; messages never quote the output, which holds
 * the private key and every preshared key.
 */
final class WgDump {

    private static final int INTERFACE_FIELDS = 4;
    private static final int PEER_FIELDS = 8;

    /**
     * Longest line: a peer line is two 44-character keys, an endpoint and its allowed IPs, so
     * {@link UapiResponse#MAX_ALLOWED_IPS_PER_PEER} IPv6 prefixes of up to 49 characters bound it.
     */
    static final int MAX_LINE_BYTES = 256 + UapiResponse.MAX_ALLOWED_IPS_PER_PEER * 50;

    private static final Pattern BASE64_KEY = Pattern.compile("[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=");
    private static final Pattern FWMARK_HEX = Pattern.compile("0x[0-9a-f]{1,8}");
    private static final String NONE = "(none)";

    private WgDump() {
    }

    static UapiResponse.Device parse(byte[] output) throws DeviceException {
        if (output.length > UapiResponse.MAX_RESPONSE_BYTES) {
            throw new DeviceException("wg output larger than " + UapiResponse.MAX_RESPONSE_BYTES + " bytes");
        }
        if (output.length == 0 || output[output.length - 1] != '\n') {
            throw new DeviceException("wg output truncated: it does not end with a newline");
        }
        Optional<WireGuardPublicKey> publicKey = Optional.empty();
        int listenPort = -1;
        List<PeerState> peers = new ArrayList<>();
        Set<WireGuardPublicKey> seen = new HashSet<>();
        int start = 0;
        int number = 0;
        while (start < output.length) {
            number++;
            int end = start;
            while (output[end] != '\n') {
                end++;
            }
            if (end - start > MAX_LINE_BYTES) {
                throw rejected("line too long", number);
            }
            for (int i = start; i < end; i++) {
                byte b = output[i];
                if ((b < 0x21 || b > 0x7e) && b != '\t') {
                    throw rejected("control, space or non-ASCII byte", number);
                }
            }
            String[] fields = fields(output, start, end);
            if (number == 1) {
                if (fields.length != INTERFACE_FIELDS) {
                    throw rejected("interface line does not have " + INTERFACE_FIELDS + " fields", number);
                }
                // fields[0] is the private key: checked for shape only, never kept.
                if (!fields[0].equals(NONE) && !BASE64_KEY.matcher(fields[0]).matches()) {
                    throw rejected("private key is not a base64 key", number);
                }
                publicKey = fields[1].equals(NONE) ? Optional.empty()
                        : Optional.of(WireGuardPublicKey.fromBytes(key(fields[1], "public key", number)));
                listenPort = (int) UapiResponse.decimal(fields[2], 65_535, () -> rejected("bad listen port", 1));
                if (!fields[3].equals("off") && !FWMARK_HEX.matcher(fields[3]).matches()) {
                    UapiResponse.decimal(fields[3], 0xffff_ffffL, () -> rejected("bad fwmark", 1));
                }
                fields[0] = null;
            } else {
                if (peers.size() >= UapiResponse.MAX_PEERS) {
                    throw rejected("more than " + UapiResponse.MAX_PEERS + " peers", number);
                }
                PeerState peer = peer(fields, number);
                if (!seen.add(peer.publicKey())) {
                    throw rejected("the same peer twice", number);
                }
                peers.add(peer);
            }
            start = end + 1;
        }
        return new UapiResponse.Device(publicKey, listenPort, peers);
    }

    private static String[] fields(byte[] output, int start, int end) {
        List<String> fields = new ArrayList<>();
        int from = start;
        for (int i = start; i <= end; i++) {
            if (i == end || output[i] == '\t') {
                fields.add(new String(output, from, i - from, StandardCharsets.US_ASCII));
                from = i + 1;
            }
        }
        return fields.toArray(String[]::new);
    }

    private static PeerState peer(String[] fields, int number) throws DeviceException {
        if (fields.length != PEER_FIELDS) {
            throw rejected("peer line does not have " + PEER_FIELDS + " fields", number);
        }
        WireGuardPublicKey publicKey = WireGuardPublicKey.fromBytes(key(fields[0], "peer public key", number));
        boolean hasPresharedKey;
        if (fields[1].equals(NONE)) {
            hasPresharedKey = false;
        } else {
            byte[] psk = key(fields[1], "preshared key", number);
            int any = 0;
            for (byte b : psk) {
                any |= b;
            }
            Arrays.fill(psk, (byte) 0);
            hasPresharedKey = any != 0;
        }
        fields[1] = null;
        Optional<InetSocketAddress> endpoint = Optional.empty();
        if (!fields[2].equals(NONE)) {
            try {
                endpoint = Optional.of(UapiResponse.endpoint(fields[2]));
            } catch (IllegalArgumentException e) {
                throw rejected("endpoint is not an address and port", number);
            }
        }
        Set<String> allowedIps = new LinkedHashSet<>();
        if (!fields[3].equals(NONE)) {
            String[] cidrs = fields[3].split(",", -1);
            if (cidrs.length > UapiResponse.MAX_ALLOWED_IPS_PER_PEER) {
                throw rejected("more than " + UapiResponse.MAX_ALLOWED_IPS_PER_PEER + " allowed IPs", number);
            }
            for (String cidr : cidrs) {
                String canonical;
                try {
                    canonical = Cidr.parseClearingHostBits(cidr).toString();
                } catch (IllegalArgumentException e) {
                    throw rejected("allowed IP is not a CIDR", number);
                }
                if (!allowedIps.add(canonical)) {
                    throw rejected("the same allowed IP twice", number);
                }
            }
        }
        long handshake = UapiResponse.decimal(fields[4], Long.MAX_VALUE, () -> rejected("bad handshake time", number));
        long rx = UapiResponse.decimal(fields[5], Long.MAX_VALUE, () -> rejected("bad rx bytes", number));
        long tx = UapiResponse.decimal(fields[6], Long.MAX_VALUE, () -> rejected("bad tx bytes", number));
        if (!fields[7].equals("off")) {
            UapiResponse.decimal(fields[7], 65_535, () -> rejected("bad persistent keepalive", number));
        }
        Optional<Instant> lastHandshake;
        try {
            lastHandshake = handshake == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(handshake));
        } catch (DateTimeException e) {
            throw rejected("handshake time out of range", number);
        }
        return new PeerState(publicKey, hasPresharedKey, List.copyOf(allowedIps), endpoint, lastHandshake, rx, tx);
    }

    /** 32 bytes from canonical base64 (44 characters, the last before '=' carrying no stray bits). */
    private static byte[] key(String field, String what, int number) throws DeviceException {
        if (!BASE64_KEY.matcher(field).matches()) {
            throw rejected(what + " is not a base64 key", number);
        }
        return Base64.getDecoder().decode(field);
    }

    private static DeviceException rejected(String why, int number) {
        return new DeviceException("wg output rejected: " + why + " (line " + number + ")");
    }
}
