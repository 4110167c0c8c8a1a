package dev.portcullis.core.component;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.error.BadRequestException;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.link.ComponentDirectory;
import dev.portcullis.core.link.ComponentRecord;
import dev.portcullis.core.link.JoinVerdict;
import dev.portcullis.core.location.LocationStore;
import dev.portcullis.core.store.Database;
import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.pki.cert.CaFingerprint;
import dev.portcullis.pki.cert.Certificates;
import dev.portcullis.pki.cert.PeerIdentity;
import dev.portcullis.pki.join.JoinToken;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.v1.ComponentConfig;
import dev.portcullis.protocol.v1.ConfigUpdate;
import dev.portcullis.protocol.v1.EdgeProxySettings;
import dev.portcullis.protocol.v1.GatewaySettings;
import dev.portcullis.protocol.v1.WireGuardSettings;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Core's registry of edge proxies and gateways, in PostgreSQL. It decides who may join (one-time
 * join tokens, stored hashed), which certificates core accepts from whom, and what configuration
 * each component gets. The link supervisor reads it through {@link ComponentDirectory}; the admin
 * API changes it.
 * <p>
 * Every change is recorded on the audit log through {@link SecurityEvents}, in the transaction of
 * the change: registration, token re-issue, removal and settings by the admin who made them; join
 * token verdicts and issued certificates by the component ({@code component:<id>}). No record
 * carries a join token's secret; its id does.
 */
public final class ComponentRegistry implements ComponentDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(ComponentRegistry.class);

    /** Short enough that a token left in a chat log or a shell history is dead by the time anyone finds it. */
    public static final Duration DEFAULT_JOIN_TOKEN_TTL = Duration.ofHours(1);
    /** Shorter than this and a token expires before anyone could paste it into a component. */
    public static final Duration MIN_JOIN_TOKEN_TTL = Duration.ofMinutes(1);
    /** A join token is a bearer credential for adoption; a week is already generous for shipping one to a site. */
    public static final Duration MAX_JOIN_TOKEN_TTL = Duration.ofDays(7);
    /**
     * After a rotation core still accepts the certificate it replaced for this long, so that
     * connections opened just before the component switched keys are not refused mid-rotation.
     */
    public static final Duration ROTATION_OVERLAP = Duration.ofMinutes(10);
    /** Lower-case DNS label: names end up in logs, URLs and shell commands, so nothing needs quoting. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern TOKEN_ID = Pattern.compile("[0-9a-f]{16}");
    private static final String COLUMNS = "id, name, role, host, port, state, public_origin, "
            + "requests_per_minute_per_address, location, notice, config_version, created_at, adopted_at, "
            + "tunnel_addresses, mtu, device_endpoint_host, wireguard_public_key, wireguard_listen_port, wireguard_reported_at";

    private final Database database;
    private final CaFingerprint caFingerprint;
    private final Clock clock;
    private final Duration joinTokenTtl;
    private final LocationStore locations;
    private final SecurityEvents events;

    /**
     * @param locations where a gateway's snapshot gets its location's peers and ACL from
     * @param events    where every change and join verdict is recorded, in the change's transaction
     */
    public ComponentRegistry(Database database, CertificateAuthority ca, Clock clock, Duration joinTokenTtl,
                             LocationStore locations, SecurityEvents events) {
        if (joinTokenTtl.compareTo(MIN_JOIN_TOKEN_TTL) < 0 || joinTokenTtl.compareTo(MAX_JOIN_TOKEN_TTL) > 0) {
            throw new IllegalArgumentException("join token lifetime must be between " + MIN_JOIN_TOKEN_TTL.toMinutes()
                    + " minute and " + MAX_JOIN_TOKEN_TTL.toDays() + " days");
        }
        this.database = database;
        this.caFingerprint = CaFingerprint.of(ca.certificate());
        this.clock = clock;
        this.joinTokenTtl = joinTokenTtl;
        this.locations = locations;
        this.events = Objects.requireNonNull(events, "events");
    }

    public Duration joinTokenTtl() {
        return joinTokenTtl;
    }

    // ---- admin side -------------------------------------------------------------------------

    /** {@link #register(String, PeerIdentity.Role, String, int, Actor)} by core itself: for core's own callers and tests. */
    public JoinToken register(String name, PeerIdentity.Role role, String host, int port) {
        return register(name, role, host, port, Actor.core());
    }

    /**
     * Registers a component (PENDING) and mints its first join token. The returned token is the
     * only place its secret exists; core keeps a hash. Recorded as {@code component.registered}
     * (id, role, address, the token's id and expiry) by {@code actor}.
     */
    public JoinToken register(String name, PeerIdentity.Role role, String host, int port, Actor actor) {
        Objects.requireNonNull(actor, "actor");
        String validName = validName(name);
        if (role == null || role == PeerIdentity.Role.CORE) {
            throw new BadRequestException("role must be edge-proxy or gateway");
        }
        ComponentAddress address = new ComponentAddress(host, port);
        String id = UUID.randomUUID().toString();
        Instant now = clock.instant();
        JoinToken token = database.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO components (id, name, role, host, port, state, requests_per_minute_per_address, "
                            + "notice, config_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'PENDING', ?, '', 1, ?, ?)")) {
                insert.setObject(1, UUID.fromString(id));
                insert.setString(2, validName);
                insert.setString(3, role.name());
                insert.setString(4, address.host());
                insert.setInt(5, address.port());
                insert.setInt(6, ComponentSettings.DEFAULT_REQUESTS_PER_MINUTE);
                insert.setObject(7, timestamp(now));
                insert.setObject(8, timestamp(now));
                insert.executeUpdate();
            } catch (SQLException e) {
                if (Database.isUniqueViolation(e)) {
                    throw new ConflictException("a component named '" + validName + "' already exists");
                }
                throw e;
            }
            JoinToken minted = mintToken(connection, id, now);
            events.record(connection, SecurityEvent.success(SecurityAction.COMPONENT_REGISTERED, actor,
                            SecurityEvent.component(validName))
                    .with("id", id).with("role", role.urnName()).with("address", address)
                    .with("join_token_id", minted.tokenId()).with("join_token_expires_at", now.plus(joinTokenTtl)));
            return minted;
        });
        LOG.info("component '{}' ({} {}, id {}) registered; join token {} expires in {}", validName, role.urnName(),
                address, id, token.tokenId(), joinTokenTtl);
        return token;
    }

    /** {@link #reissueToken(String, Actor)} by core itself: for core's own callers and tests. */
    public JoinToken reissueToken(String name) {
        return reissueToken(name, Actor.core());
    }

    /**
     * Mints a new join token for a component that has not joined yet; older unused tokens stop
     * working. Recorded as {@code component.join_token.reissued} by {@code actor}.
     */
    public JoinToken reissueToken(String name, Actor actor) {
        Objects.requireNonNull(actor, "actor");
        Instant now = clock.instant();
        JoinToken token = database.inTransaction(connection -> {
            Component component = lockLive(connection, name);
            if (component.state() != ComponentState.PENDING) {
                throw new ConflictException("component '" + name + "' has already joined; to re-join it, remove it and add it again");
            }
            int superseded = supersedeTokens(connection, component.id(), now);
            JoinToken minted = mintToken(connection, component.id(), now);
            events.record(connection, SecurityEvent.success(SecurityAction.COMPONENT_JOIN_TOKEN_REISSUED, actor,
                            SecurityEvent.component(component.name()))
                    .with("id", component.id()).with("join_token_id", minted.tokenId())
                    .with("join_token_expires_at", now.plus(joinTokenTtl)).with("join_tokens_superseded", superseded));
            return minted;
        });
        LOG.info("component '{}': join token re-issued ({}), older tokens superseded", name, token.tokenId());
        return token;
    }

    /** {@link #remove(String, Actor)} by core itself: for core's own callers and tests. */
    public String remove(String name) {
        return remove(name, Actor.core());
    }

    /**
     * Removes a component: it can no longer join, and every certificate core issued to it is
     * revoked now. Recorded as {@code component.removed} (with how many certificates were revoked)
     * by {@code actor}.
     */
    public String remove(String name, Actor actor) {
        Objects.requireNonNull(actor, "actor");
        Instant now = clock.instant();
        String id = database.inTransaction(connection -> {
            Component component = lockLive(connection, name);
            int revoked;
            try (PreparedStatement components = connection.prepareStatement(
                    "UPDATE components SET state = 'REMOVED', removed_at = ?, updated_at = ? WHERE id = ?");
                 PreparedStatement certificates = connection.prepareStatement(
                         "UPDATE certificates SET revoked_at = ? WHERE component_id = ? AND revoked_at IS NULL")) {
                components.setObject(1, timestamp(now));
                components.setObject(2, timestamp(now));
                components.setObject(3, UUID.fromString(component.id()));
                components.executeUpdate();
                certificates.setObject(1, timestamp(now));
                certificates.setObject(2, UUID.fromString(component.id()));
                revoked = certificates.executeUpdate();
            }
            int superseded = supersedeTokens(connection, component.id(), now);
            events.record(connection, SecurityEvent.success(SecurityAction.COMPONENT_REMOVED, actor,
                            SecurityEvent.component(component.name()))
                    .with("id", component.id()).with("role", component.role().urnName())
                    .with("state", component.state().name().toLowerCase(java.util.Locale.ROOT))
                    .with("certificates_revoked", revoked).with("join_tokens_superseded", superseded));
            return component.id();
        });
        LOG.info("component '{}' (id {}) removed; its certificates are revoked", name, id);
        return id;
    }

    /** Every edge-proxy that was not removed, by name, with its public origin and reported pin. */
    public List<PublicEdge> publicEdges() {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, name, state, public_origin, public_trust_anchor_sha256 FROM components "
                            + "WHERE role = 'EDGE_PROXY' AND state <> 'REMOVED' ORDER BY name");
                 ResultSet rs = select.executeQuery()) {
                List<PublicEdge> edges = new ArrayList<>();
                while (rs.next()) {
                    edges.add(publicEdge(rs));
                }
                return edges;
            }
        });
    }

    /** The edge-proxy with this id, unless it was removed. */
    public Optional<PublicEdge> publicEdge(String componentId) {
        Optional<UUID> id = uuid(componentId);
        if (id.isEmpty()) {
            return Optional.empty();
        }
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, name, state, public_origin, public_trust_anchor_sha256 FROM components "
                            + "WHERE id = ? AND role = 'EDGE_PROXY' AND state <> 'REMOVED'")) {
                select.setObject(1, id.get());
                try (ResultSet rs = select.executeQuery()) {
                    return rs.next() ? Optional.of(publicEdge(rs)) : Optional.<PublicEdge>empty();
                }
            }
        });
    }

    private static PublicEdge publicEdge(ResultSet rs) throws SQLException {
        byte[] pin = rs.getBytes("public_trust_anchor_sha256");
        return new PublicEdge(rs.getObject("id", UUID.class).toString(), rs.getString("name"),
                ComponentState.valueOf(rs.getString("state")) == ComponentState.ADOPTED,
                Optional.ofNullable(rs.getString("public_origin")),
                pin == null ? Optional.empty() : Optional.of(dev.portcullis.pki.enroll.TrustAnchorPin.encode(pin)));
    }

    /** Every component that was not removed, by name. */
    public List<Component> list() {
        return database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM components WHERE state <> 'REMOVED' ORDER BY name");
                 ResultSet rs = select.executeQuery()) {
                List<Component> components = new ArrayList<>();
                while (rs.next()) {
                    components.add(component(rs));
                }
                return components;
            }
        });
    }

    public Optional<Component> byName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        return database.inTransaction(connection -> selectOne(connection,
                "SELECT " + COLUMNS + " FROM components WHERE name = ? AND state <> 'REMOVED'", name));
    }

    public Optional<Component> byId(String id) {
        Optional<UUID> uuid = uuid(id);
        if (uuid.isEmpty()) {
            return Optional.empty();
        }
        return database.inTransaction(connection -> selectOne(connection,
                "SELECT " + COLUMNS + " FROM components WHERE id = ? AND state <> 'REMOVED'", uuid.get()));
    }

    /** {@link #updateSettings(String, ComponentSettings.Change, Actor)} by core itself: for core's own callers and tests. */
    public ConfigUpdate updateSettings(String name, ComponentSettings.Change change) {
        return updateSettings(name, change, Actor.core());
    }

    /**
     * Changes a component's settings and returns the incremental update for its link
     * ({@code base_version} = the version it replaces, {@code version} = the new one). Recorded as
     * {@code component.settings.changed} by {@code actor}, naming the fields whose value changed
     * (not their values: a notice is free text).
     */
    public ConfigUpdate updateSettings(String name, ComponentSettings.Change change, Actor actor) {
        Objects.requireNonNull(actor, "actor");
        if (change.isEmpty()) {
            throw new BadRequestException("nothing to change");
        }
        Instant now = clock.instant();
        ConfigUpdate update = database.inTransaction(connection -> {
            Component component = lockLive(connection, name);
            ComponentSettings changed = apply(component, change);
            try (PreparedStatement set = connection.prepareStatement(
                    "UPDATE components SET public_origin = ?, requests_per_minute_per_address = ?, location = ?, "
                            + "notice = ?, tunnel_addresses = ?, mtu = ?, device_endpoint_host = ?, "
                            + "config_version = config_version + 1, updated_at = ? WHERE id = ? RETURNING config_version")) {
                set.setString(1, changed.publicOrigin().orElse(null));
                set.setInt(2, changed.requestsPerMinutePerAddress());
                set.setString(3, changed.location().orElse(null));
                set.setString(4, changed.notice());
                set.setArray(5, connection.createArrayOf("text", changed.tunnelAddresses().toArray()));
                set.setInt(6, changed.mtu());
                set.setString(7, changed.deviceEndpointHost().orElse(null));
                set.setObject(8, timestamp(now));
                set.setObject(9, UUID.fromString(component.id()));
                try (ResultSet rs = set.executeQuery()) {
                    rs.next();
                    long version = rs.getLong(1);
                    events.record(connection, SecurityEvent.success(SecurityAction.COMPONENT_SETTINGS_CHANGED, actor,
                                    SecurityEvent.component(component.name()))
                            .with("id", component.id()).with("changed", changedFields(component.settings(), changed))
                            .with("config_version", version));
                    ConfigUpdate.Builder builder = ConfigUpdate.newBuilder()
                            .setBaseVersion(component.configVersion())
                            .setVersion(version);
                    if (component.role() == PeerIdentity.Role.EDGE_PROXY) {
                        builder.setEdgeProxy(edgeProxySettings(changed));
                    } else {
                        builder.setGateway(gatewaySettings(changed));
                        if (!changed.location().equals(component.settings().location())) {
                            // Another location means other peers and another ACL, which an update cannot
                            // carry: base version 0 (never a real one) makes the gateway ask for a snapshot.
                            builder.setBaseVersion(0);
                        }
                    }
                    return builder.build();
                }
            }
        });
        LOG.info("component '{}': settings changed, configuration version {}", name, update.getVersion());
        return update;
    }

    // ---- link side (ComponentDirectory) -------------------------------------------------------

    @Override
    public List<ComponentRecord> components() {
        return list().stream().map(Component::record).toList();
    }

    @Override
    public Optional<ComponentRecord> find(String componentId) {
        return byId(componentId).map(Component::record);
    }

    @Override
    public JoinVerdict consumeJoinToken(String componentId, String tokenId, byte[] presentedSecret) {
        Instant now = clock.instant();
        JoinVerdict judged = judge(componentId, tokenId, presentedSecret, now);
        JoinVerdict verdict = database.inTransaction(connection -> {
            JoinVerdict outcome = judged;
            if (outcome == JoinVerdict.ACCEPTED && !markUsed(connection, tokenId, now)) {
                // Another caller consumed it (or it expired) between our read and our write.
                outcome = JoinVerdict.ALREADY_USED;
            }
            events.record(connection, joinEvent(connection, componentId, tokenId, outcome));
            return outcome;
        });
        if (verdict == JoinVerdict.ACCEPTED) {
            LOG.info("join token {} accepted for component {}", tokenId, componentId);
        } else {
            LOG.warn("join token {} presented for component {} rejected: {}", printable(tokenId), printable(componentId),
                    verdict);
        }
        return verdict;
    }

    /** Steps 1-4 of consuming a token: it exists, is for this component, its secret matches, it is still usable. */
    private JoinVerdict judge(String componentId, String tokenId, byte[] presentedSecret, Instant now) {
        if (tokenId == null || !TOKEN_ID.matcher(tokenId).matches()) {
            return JoinVerdict.UNKNOWN;
        }
        Optional<StoredJoinToken> stored = database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT t.component_id, t.secret_hash, t.expires_at, t.used_at, t.superseded_at, c.state "
                            + "FROM join_tokens t JOIN components c ON c.id = t.component_id WHERE t.token_id = ?")) {
                select.setString(1, tokenId);
                try (ResultSet rs = select.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new StoredJoinToken(rs.getObject("component_id", UUID.class).toString(),
                            rs.getBytes("secret_hash"), instant(rs, "expires_at"),
                            instant(rs, "used_at") != null || instant(rs, "superseded_at") != null
                                    || ComponentState.valueOf(rs.getString("state")) == ComponentState.REMOVED));
                }
            }
        });
        if (stored.isEmpty()) {
            return JoinVerdict.UNKNOWN;
        }
        StoredJoinToken token = stored.get();
        if (!token.componentId().equals(componentId)) {
            return JoinVerdict.WRONG_COMPONENT;
        }
        if (!JoinToken.secretMatches(presentedSecret, token.secretHash())) {
            return JoinVerdict.WRONG_SECRET;
        }
        if (token.spent()) {
            return JoinVerdict.ALREADY_USED;
        }
        if (!now.isBefore(token.expiresAt())) {
            return JoinVerdict.EXPIRED;
        }
        return JoinVerdict.ACCEPTED;
    }

    /** Step 5: the conditional write that makes a token single-use even when many present it at once. */
    private static boolean markUsed(Connection connection, String tokenId, Instant now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE join_tokens SET used_at = ? WHERE token_id = ? AND used_at IS NULL "
                        + "AND superseded_at IS NULL AND expires_at > ? AND EXISTS (SELECT 1 FROM components c "
                        + "WHERE c.id = join_tokens.component_id AND c.state <> 'REMOVED')")) {
            update.setObject(1, timestamp(now));
            update.setString(2, tokenId);
            update.setObject(3, timestamp(now));
            return update.executeUpdate() == 1;
        }
    }

    /**
     * Step 6: {@code component.join.accepted} or {@code component.join.refused} (reason: the verdict),
     * by the component. The token's id is named only if it has a token id's shape, so nothing a peer
     * sent in that field (possibly a secret pasted into the wrong place) reaches the log.
     */
    private static SecurityEvent joinEvent(Connection connection, String componentId, String tokenId, JoinVerdict verdict)
            throws SQLException {
        String id = printable(componentId);
        String subject = nameOf(connection, componentId).map(SecurityEvent::component).orElse("component:" + id);
        String shownTokenId = tokenId != null && TOKEN_ID.matcher(tokenId).matches() ? tokenId : "malformed";
        SecurityEvent event = verdict == JoinVerdict.ACCEPTED
                ? SecurityEvent.success(SecurityAction.COMPONENT_JOIN_ACCEPTED, Actor.component(id), subject)
                : SecurityEvent.refused(SecurityAction.COMPONENT_JOIN_REFUSED, Actor.component(id), subject,
                        verdict.name().toLowerCase(java.util.Locale.ROOT));
        return event.with("id", id).with("join_token_id", shownTokenId);
    }

    /** The component's name, removed or not, if {@code componentId} is one. */
    private static Optional<String> nameOf(Connection connection, String componentId) throws SQLException {
        Optional<UUID> id = uuid(componentId);
        if (id.isEmpty()) {
            return Optional.empty();
        }
        try (PreparedStatement select = connection.prepareStatement("SELECT name FROM components WHERE id = ?")) {
            select.setObject(1, id.get());
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    @Override
    public void certificateIssued(String componentId, X509Certificate certificate) {
        UUID id = uuid(componentId).orElseThrow(() -> new NotFoundException("no such component"));
        Instant now = clock.instant();
        boolean removed = database.inTransaction(connection -> {
            ComponentState state;
            PeerIdentity.Role role;
            String name;
            boolean joined;
            try (PreparedStatement lock = connection.prepareStatement(
                    "SELECT state, role, name, adopted_at FROM components WHERE id = ? FOR UPDATE")) {
                lock.setObject(1, id);
                try (ResultSet rs = lock.executeQuery()) {
                    if (!rs.next()) {
                        throw new NotFoundException("no such component");
                    }
                    state = ComponentState.valueOf(rs.getString("state"));
                    role = PeerIdentity.Role.valueOf(rs.getString("role"));
                    name = rs.getString("name");
                    joined = instant(rs, "adopted_at") != null;
                }
            }
            PeerIdentity expected = PeerIdentity.component(role, componentId);
            if (!Certificates.identity(certificate).map(expected::equals).orElse(false)) {
                throw new IllegalArgumentException("certificate does not carry the identity " + expected);
            }
            boolean isRemoved = state == ComponentState.REMOVED;
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO certificates (serial, component_id, not_before, not_after, issued_at, revoked_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setBigDecimal(1, new BigDecimal(certificate.getSerialNumber()));
                insert.setObject(2, id);
                insert.setObject(3, timestamp(certificate.getNotBefore().toInstant()));
                insert.setObject(4, timestamp(certificate.getNotAfter().toInstant()));
                insert.setObject(5, timestamp(now));
                // A component removed while its certificate was being signed gets it revoked on arrival.
                insert.setObject(6, isRemoved ? timestamp(now) : null);
                insert.executeUpdate();
            }
            if (!isRemoved) {
                try (PreparedStatement adopt = connection.prepareStatement(
                        "UPDATE components SET state = 'ADOPTED', adopted_at = COALESCE(adopted_at, ?), updated_at = ? "
                                + "WHERE id = ?")) {
                    adopt.setObject(1, timestamp(now));
                    adopt.setObject(2, timestamp(now));
                    adopt.setObject(3, id);
                    adopt.executeUpdate();
                }
            }
            // The first certificate is the join's; every later one replaces a certificate (a rotation).
            SecurityEvent issued = SecurityEvent.success(SecurityAction.COMPONENT_CERTIFICATE_ISSUED,
                            Actor.component(componentId), SecurityEvent.component(name))
                    .with("id", componentId).with("serial", Certificates.serialHex(certificate))
                    .with("not_after", certificate.getNotAfter().toInstant()).with("kind", joined ? "rotation" : "join");
            events.record(connection, isRemoved ? issued.with("revoked_on_arrival", true) : issued);
            return isRemoved;
        });
        if (removed) {
            LOG.warn("certificate {} for removed component {} recorded as revoked", certificate.getSerialNumber().toString(16),
                    componentId);
        } else {
            LOG.info("certificate {} issued to component {}, valid until {}", certificate.getSerialNumber().toString(16),
                    componentId, certificate.getNotAfter().toInstant());
        }
    }

    @Override
    public boolean acceptsCertificate(String componentId, BigInteger serial) {
        Optional<UUID> id = uuid(componentId);
        if (id.isEmpty() || serial == null) {
            return false;
        }
        Instant now = clock.instant();
        List<IssuedCertificate> newestFirst = database.inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT s.serial, s.issued_at FROM certificates s JOIN components c ON c.id = s.component_id "
                            + "WHERE s.component_id = ? AND c.state <> 'REMOVED' AND s.revoked_at IS NULL "
                            + "ORDER BY s.issued_at DESC, s.issue_order DESC LIMIT 2")) {
                select.setObject(1, id.get());
                try (ResultSet rs = select.executeQuery()) {
                    List<IssuedCertificate> rows = new ArrayList<>(2);
                    while (rs.next()) {
                        rows.add(new IssuedCertificate(rs.getBigDecimal("serial").toBigIntegerExact(),
                                instant(rs, "issued_at")));
                    }
                    return rows;
                }
            }
        });
        if (newestFirst.isEmpty()) {
            return false;
        }
        IssuedCertificate newest = newestFirst.get(0);
        if (newest.serial().equals(serial)) {
            return true;
        }
        return newestFirst.size() == 2 && newestFirst.get(1).serial().equals(serial)
                && now.isBefore(newest.issuedAt().plus(ROTATION_OVERLAP));
    }

    /**
     * The component's full configuration. A gateway's includes every unexpired peer of its
     * location (preshared keys opened in memory only) and the location's ACL: core's truth, which
     * the gateway reconciles to on every (re)connect. Version and content are read in one
     * transaction, with the component row share-locked, so a snapshot never carries a version
     * newer or older than its content.
     */
    @Override
    public ComponentConfig configuration(String componentId) {
        UUID id = uuid(componentId).orElseThrow(() -> new NotFoundException("no such component"));
        Instant now = clock.instant();
        return database.inTransaction(connection -> {
            Component component = selectOne(connection,
                    "SELECT " + COLUMNS + " FROM components WHERE id = ? AND state <> 'REMOVED' FOR SHARE", id)
                    .orElseThrow(() -> new NotFoundException("no such component"));
            ComponentConfig.Builder config = ComponentConfig.newBuilder().setVersion(component.configVersion());
            if (component.role() == PeerIdentity.Role.EDGE_PROXY) {
                config.setEdgeProxy(edgeProxySettings(component.settings()));
            } else {
                GatewaySettings.Builder gateway = gatewaySettings(component.settings()).toBuilder();
                if (component.settings().location().isPresent()) {
                    LocationStore.LocationState state = locations.snapshot(connection,
                            component.settings().location().get(), now);
                    gateway.addAllPeers(state.peers()).setAcl(state.acl());
                }
                config.setGateway(gateway);
            }
            return config.build();
        });
    }

    // ---- steps and mapping ------------------------------------------------------------------------

    private JoinToken mintToken(Connection connection, String componentId, Instant now) throws SQLException {
        JoinToken token = JoinToken.mint(componentId, caFingerprint);
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO join_tokens (token_id, component_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")) {
            insert.setString(1, token.tokenId());
            insert.setObject(2, UUID.fromString(componentId));
            insert.setBytes(3, token.secretHash());
            insert.setObject(4, timestamp(now));
            insert.setObject(5, timestamp(now.plus(joinTokenTtl)));
            insert.executeUpdate();
        }
        return token;
    }

    /** Returns how many unused tokens stopped working. */
    private static int supersedeTokens(Connection connection, String componentId, Instant now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE join_tokens SET superseded_at = ? WHERE component_id = ? AND used_at IS NULL AND superseded_at IS NULL")) {
            update.setObject(1, timestamp(now));
            update.setObject(2, UUID.fromString(componentId));
            return update.executeUpdate();
        }
    }

    private static Component lockLive(Connection connection, String name) throws SQLException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw notFound(name);
        }
        return selectOne(connection, "SELECT " + COLUMNS + " FROM components WHERE name = ? AND state <> 'REMOVED' FOR UPDATE",
                name).orElseThrow(() -> notFound(name));
    }

    /** "No such component", quoting the name only if it is a valid one (never echo arbitrary input). */
    public static NotFoundException notFound(String name) {
        return new NotFoundException(name != null && NAME.matcher(name).matches()
                ? "no component named '" + name + "'" : "no such component (names are lower-case letters, digits and '-')");
    }

    private static Optional<Component> selectOne(Connection connection, String sql, Object key) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setObject(1, key);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(component(rs)) : Optional.empty();
            }
        }
    }

    private static Component component(ResultSet rs) throws SQLException {
        return new Component(
                rs.getObject("id", UUID.class).toString(),
                rs.getString("name"),
                PeerIdentity.Role.valueOf(rs.getString("role")),
                new ComponentAddress(rs.getString("host"), rs.getInt("port")),
                ComponentState.valueOf(rs.getString("state")),
                new ComponentSettings(Optional.ofNullable(rs.getString("public_origin")),
                        rs.getInt("requests_per_minute_per_address"), Optional.ofNullable(rs.getString("location")),
                        rs.getString("notice"), List.of((String[]) rs.getArray("tunnel_addresses").getArray()),
                        rs.getInt("mtu"), Optional.ofNullable(rs.getString("device_endpoint_host"))),
                rs.getLong("config_version"),
                instant(rs, "created_at"),
                Optional.ofNullable(instant(rs, "adopted_at")),
                wireguard(rs));
    }

    private static Optional<Component.WireGuard> wireguard(ResultSet rs) throws SQLException {
        byte[] key = rs.getBytes("wireguard_public_key");
        if (key == null) {
            return Optional.empty();
        }
        return Optional.of(new Component.WireGuard(WireGuardPublicKey.fromBytes(key), rs.getInt("wireguard_listen_port"),
                instant(rs, "wireguard_reported_at")));
    }

    private static ComponentSettings apply(Component component, ComponentSettings.Change change) {
        boolean edgeProxy = component.role() == PeerIdentity.Role.EDGE_PROXY;
        if (!edgeProxy && (change.publicOrigin().isPresent() || change.requestsPerMinutePerAddress().isPresent())) {
            throw new BadRequestException("public origin and rate limit apply to edge proxies only; '"
                    + component.name() + "' is a gateway");
        }
        if (edgeProxy && (change.location().isPresent() || change.tunnelAddresses().isPresent() || change.mtu().isPresent()
                || change.deviceEndpointHost().isPresent())) {
            throw new BadRequestException("location, tunnel addresses, mtu and device endpoint apply to gateways only; '"
                    + component.name() + "' is an edge proxy");
        }
        ComponentSettings current = component.settings();
        return new ComponentSettings(
                change.publicOrigin().map(ComponentSettings::validOrigin).or(current::publicOrigin),
                change.requestsPerMinutePerAddress().map(ComponentSettings::validRateLimit)
                        .orElse(current.requestsPerMinutePerAddress()),
                change.location().map(ComponentSettings::validLocation).or(current::location),
                change.notice().map(ComponentSettings::validNotice).orElse(current.notice()),
                change.tunnelAddresses().map(ComponentSettings::validTunnelAddresses).orElse(current.tunnelAddresses()),
                change.mtu().map(ComponentSettings::validMtu).orElse(current.mtu()),
                change.deviceEndpointHost().isPresent()
                        ? ComponentSettings.validDeviceEndpointHost(change.deviceEndpointHost().get())
                        : current.deviceEndpointHost());
    }

    /** The settings whose value differs, by their snake_case names, comma-separated; {@code none} if nothing differs. */
    static String changedFields(ComponentSettings before, ComponentSettings after) {
        List<String> names = new ArrayList<>();
        if (!before.publicOrigin().equals(after.publicOrigin())) {
            names.add("public_origin");
        }
        if (before.requestsPerMinutePerAddress() != after.requestsPerMinutePerAddress()) {
            names.add("requests_per_minute_per_address");
        }
        if (!before.location().equals(after.location())) {
            names.add("location");
        }
        if (!before.notice().equals(after.notice())) {
            names.add("notice");
        }
        if (!before.tunnelAddresses().equals(after.tunnelAddresses())) {
            names.add("tunnel_addresses");
        }
        if (before.mtu() != after.mtu()) {
            names.add("mtu");
        }
        if (!before.deviceEndpointHost().equals(after.deviceEndpointHost())) {
            names.add("device_endpoint_host");
        }
        return names.isEmpty() ? "none" : String.join(",", names);
    }

    private static EdgeProxySettings edgeProxySettings(ComponentSettings settings) {
        return EdgeProxySettings.newBuilder()
                .setPublicOrigin(settings.publicOrigin().orElse(""))
                .setRequestsPerMinutePerAddress(settings.requestsPerMinutePerAddress())
                .setNotice(settings.notice())
                .build();
    }

    private static GatewaySettings gatewaySettings(ComponentSettings settings) {
        return GatewaySettings.newBuilder()
                .setLocation(settings.location().orElse(""))
                .setNotice(settings.notice())
                .setWireguard(WireGuardSettings.newBuilder()
                        .addAllAddresses(settings.tunnelAddresses())
                        .setMtu(settings.mtu()))
                .build();
    }

    static String validName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new BadRequestException("name must be 1 to 63 lower-case letters, digits or '-', "
                    + "starting and ending with a letter or digit");
        }
        return name;
    }

    private static Optional<UUID> uuid(String id) {
        if (id == null || id.length() != 36) {
            return Optional.empty();
        }
        try {
            UUID uuid = UUID.fromString(id);
            return uuid.toString().equals(id) ? Optional.of(uuid) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Values that came from a peer are logged only in a shape that cannot forge log lines. */
    private static String printable(String value) {
        if (value == null) {
            return "<none>";
        }
        String shortened = value.length() > 64 ? value.substring(0, 64) + "…" : value;
        return shortened.replaceAll("[^A-Za-z0-9._:-]", "?");
    }

    private record StoredJoinToken(String componentId, byte[] secretHash, Instant expiresAt, boolean spent) {
    }

    private record IssuedCertificate(BigInteger serial, Instant issuedAt) {
    }
}
