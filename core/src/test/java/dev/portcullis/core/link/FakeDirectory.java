package dev.portcullis.core.link;

import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.GatewaySettings;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** An in-memory component directory with the same rules as the PostgreSQL one. */
final class FakeDirectory implements ComponentDirectory {

    private record Token(String componentId, byte[] hash, Instant expires, boolean used) {
    }

    private final Clock clock;
    private final CaFingerprint ca;
    private final Map<String, ComponentRecord> components = new LinkedHashMap<>();
    private final Map<String, Token> tokens = new LinkedHashMap<>();
    private final Map<String, List<X509Certificate>> certificates = new LinkedHashMap<>();
    private final Set<BigInteger> revoked = new HashSet<>();
    private final Map<String, Long> versions = new LinkedHashMap<>();
    private final Map<String, String> notices = new LinkedHashMap<>();

    FakeDirectory(Clock clock, CaFingerprint ca) {
        this.clock = clock;
        this.ca = ca;
    }

    synchronized JoinToken register(String name, PeerIdentity.Role role, int port, Duration ttl) {
        String id = UUID.randomUUID().toString();
        components.put(id, new ComponentRecord(id, name, role, "127.0.0.1", port, false));
        versions.put(id, 1L);
        notices.put(id, "");
        return mintToken(id, ttl);
    }

    synchronized JoinToken mintToken(String componentId, Duration ttl) {
        JoinToken token = JoinToken.mint(componentId, ca);
        firstTokens.putIfAbsent(componentId, token);
        tokens.replaceAll((tokenId, old) -> old.componentId().equals(componentId)
                ? new Token(old.componentId(), old.hash(), old.expires(), true) : old);
        tokens.put(token.tokenId(), new Token(componentId, token.secretHash(), clock.instant().plus(ttl), false));
        return token;
    }

    private final Map<String, JoinToken> firstTokens = new LinkedHashMap<>();

    /** The first token minted for a component, kept so a test can try to use it again. */
    synchronized JoinToken firstToken(String componentId) {
        return firstTokens.get(componentId);
    }

    /** As if the admin asked for the component to be adopted again (the registry does this on token re-issue). */
    synchronized void resetToPending(String componentId) {
        ComponentRecord r = components.get(componentId);
        components.put(componentId, new ComponentRecord(r.id(), r.name(), r.role(), r.host(), r.port(), false));
    }

    synchronized void movePort(String componentId, int port) {
        ComponentRecord r = components.get(componentId);
        components.put(componentId, new ComponentRecord(r.id(), r.name(), r.role(), r.host(), port, r.adopted()));
    }

    synchronized void remove(String componentId) {
        components.remove(componentId);
        certificates.getOrDefault(componentId, List.of()).forEach(c -> revoked.add(c.getSerialNumber()));
    }

    synchronized ConfigUpdate setNotice(String componentId, String notice) {
        long base = versions.get(componentId);
        versions.put(componentId, base + 1);
        notices.put(componentId, notice);
        return ConfigUpdate.newBuilder().setBaseVersion(base).setVersion(base + 1)
                .setGateway(GatewaySettings.newBuilder().setLocation("office").setNotice(notice)).build();
    }

    synchronized List<X509Certificate> issued(String componentId) {
        return List.copyOf(certificates.getOrDefault(componentId, List.of()));
    }

    @Override
    public synchronized List<ComponentRecord> components() {
        return new ArrayList<>(components.values());
    }

    @Override
    public synchronized Optional<ComponentRecord> find(String componentId) {
        return Optional.ofNullable(components.get(componentId));
    }

    @Override
    public synchronized JoinVerdict consumeJoinToken(String componentId, String tokenId, byte[] presentedSecret) {
        Token token = tokens.get(tokenId);
        if (token == null) {
            return JoinVerdict.UNKNOWN;
        }
        if (!token.componentId().equals(componentId)) {
            return JoinVerdict.WRONG_COMPONENT;
        }
        if (!JoinToken.secretMatches(presentedSecret, token.hash())) {
            return JoinVerdict.WRONG_SECRET;
        }
        if (token.used()) {
            return JoinVerdict.ALREADY_USED;
        }
        if (!clock.instant().isBefore(token.expires())) {
            return JoinVerdict.EXPIRED;
        }
        tokens.put(tokenId, new Token(token.componentId(), token.hash(), token.expires(), true));
        return JoinVerdict.ACCEPTED;
    }

    @Override
    public synchronized void certificateIssued(String componentId, X509Certificate certificate) {
        certificates.computeIfAbsent(componentId, k -> new ArrayList<>()).add(certificate);
        ComponentRecord r = components.get(componentId);
        if (r != null) {
            components.put(componentId, new ComponentRecord(r.id(), r.name(), r.role(), r.host(), r.port(), true));
        }
    }

    @Override
    public synchronized boolean acceptsCertificate(String componentId, BigInteger serial) {
        if (!components.containsKey(componentId) || revoked.contains(serial)) {
            return false;
        }
        List<X509Certificate> issued = certificates.getOrDefault(componentId, List.of());
        int n = issued.size();
        return (n >= 1 && issued.get(n - 1).getSerialNumber().equals(serial))
                || (n >= 2 && issued.get(n - 2).getSerialNumber().equals(serial));
    }

    @Override
    public synchronized ComponentConfig configuration(String componentId) {
        return ComponentConfig.newBuilder().setVersion(versions.getOrDefault(componentId, 1L))
                .setGateway(GatewaySettings.newBuilder().setLocation("office")
                        .setNotice(notices.getOrDefault(componentId, ""))).build();
    }
}
