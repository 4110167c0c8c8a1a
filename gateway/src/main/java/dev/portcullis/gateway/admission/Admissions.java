package dev.portcullis.gateway.admission;

import com.google.protobuf.ByteString;
import dev.portcullis.protocol.wireguard.DeviceException;
import dev.portcullis.protocol.wireguard.PeerChanges;
import dev.portcullis.protocol.wireguard.PeerConfig;
import dev.portcullis.protocol.wireguard.PeerState;
import dev.portcullis.protocol.wireguard.WireGuardDevice;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import dev.portcullis.protocol.link.ComponentHandler.ConfigRejectedException;
import dev.portcullis.protocol.net.Cidr;
import dev.portcullis.protocol.v1.EvictionReason;
import dev.portcullis.protocol.v1.PeerAdmission;
import dev.portcullis.protocol.v1.PeerEviction;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peers admitted to this gateway's WireGuard interface, and the device kept in line with them.
 * <ul>
 *   <li>{@link #applySnapshot}: core's full list is the truth. One device transaction removes the
 *       peers core no longer has (reported as {@code RECONCILED}), adds the missing ones and
 *       updates those whose preshared key or allowed IPs changed. Unchanged peers are not
 *       touched, so their sessions keep flowing.</li>
 *   <li>{@link #admit} / {@link #evict}: one peer at a time, returning once the device has it.</li>
 *   <li>Fail closed: at not_after the engine removes a peer by itself, connected to core or not,
 *       and queues an {@code EXPIRED} report that {@link PeerTelemetry} delivers once core is back.</li>
 *   <li>Restart: a small {@link AdmissionStateFile} (keys and not_after, never preshared keys) lets
 *       {@link #start} evict expired and unknown peers left on the interface before core connects;
 *       recorded, unexpired peers stay until core's snapshot decides.</li>
 * </ul>
 * Thread-safe. {@code lock} guards all the fields marked so and serializes every call to the
 * device, so an expiry sweep, a core update and a telemetry read never interleave on it. State
 * file writes happen on the engine's own thread, after the change, and never make a peer live
 * longer than the device has it (see {@link #persistSoon}).
 */
public final class Admissions implements AutoCloseable {

    /**
     * Peers one gateway holds. The issue sizes a location at 10,000 devices; a snapshot of 20,000
     * admissions (about 150 bytes each) still fits the control link's 4 MiB message limit, and
     * the engine's per-change work stays independent of this number.
     */
    public static final int MAX_PEERS = 20_000;
    /**
     * Local eviction reports kept while core is away. Peers are only admitted by core, so no more
     * than {@link #MAX_PEERS} can expire before core is back; beyond that the oldest are dropped
     * (and logged) rather than letting memory grow.
     */
    public static final int MAX_PENDING_EVICTIONS = MAX_PEERS;
    /**
     * Longest the engine waits between two looks at the clock. Expiry is scheduled for the exact
     * not_after, but the wall clock can jump (NTP, suspend); this bounds how late a peer goes.
     */
    public static final Duration SWEEP_INTERVAL = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(Admissions.class);

    private final WireGuardDevice device;
    private final AdmissionStateFile stateFile;
    private final Clock clock;
    private final Duration sweepInterval;
    /** The engine's thread: expiry sweeps and state file writes. */
    private final ScheduledExecutorService executor;

    private final Object lock = new Object();
    /** Guarded by lock. Every admitted peer: who, until when, which session. */
    private final Map<WireGuardPublicKey, AdmissionRecord> records = new HashMap<>();
    /**
     * Guarded by lock. The preshared key this process set on the device for a peer. Absent after a
     * restart (keys are never stored) or after a failed device call: such a peer is set again.
     */
    private final Map<WireGuardPublicKey, PresharedKey> presharedKeys = new HashMap<>();
    /** Guarded by lock. Expiry order; entries whose record changed since are skipped lazily. */
    private final PriorityQueue<AdmissionRecord> expiries =
            new PriorityQueue<>(Comparator.comparing(AdmissionRecord::notAfter));
    /** Guarded by lock. Local evictions not yet delivered to core, oldest first. */
    private final Deque<PeerEviction> pendingEvictions = new ArrayDeque<>();
    /** Guarded by lock. The next expiry sweep and when it runs. */
    private ScheduledFuture<?> nextSweep;
    private Instant nextSweepAt;
    /** Guarded by lock. Bumped on every change of records, to order state file writes. */
    private long recordsVersion;
    /** Guarded by lock. */
    private boolean closed;

    /** Guarded by itself. Taken before {@code lock}, never after. */
    private final Object writeLock = new Object();
    /** Guarded by writeLock. The records version the state file holds. */
    private long writtenVersion = -1;

    private Admissions(WireGuardDevice device, AdmissionStateFile stateFile, Clock clock, Duration sweepInterval) {
        this.device = Objects.requireNonNull(device, "device");
        this.stateFile = Objects.requireNonNull(stateFile, "stateFile");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (sweepInterval.isNegative() || sweepInterval.isZero()) {
            throw new IllegalArgumentException("sweep interval must be positive");
        }
        this.sweepInterval = sweepInterval;
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "admissions");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts with {@link #SWEEP_INTERVAL}; see {@link #start(WireGuardDevice, AdmissionStateFile, Clock, Duration)}. */
    public static Admissions start(WireGuardDevice device, AdmissionStateFile stateFile, Clock clock) throws DeviceException {
        return start(device, stateFile, clock, SWEEP_INTERVAL);
    }

    /**
     * Restores from the state file and the device, evicting at once every peer on the interface
     * that is expired or that this gateway has no record of, then starts expiring by itself.
     *
     * @throws DeviceException if the device cannot be read or changed; the gateway must not serve then
     */
    public static Admissions start(WireGuardDevice device, AdmissionStateFile stateFile, Clock clock,
                                   Duration sweepInterval) throws DeviceException {
        Admissions admissions = new Admissions(device, stateFile, clock, sweepInterval);
        try {
            admissions.restore();
        } catch (DeviceException | RuntimeException e) {
            admissions.executor.shutdownNow();
            throw e;
        }
        return admissions;
    }

    // --- restart -----------------------------------------------------------------------------

    private void restore() throws DeviceException {
        List<AdmissionRecord> recorded;
        try {
            recorded = stateFile.read().orElse(List.of());
        } catch (IOException e) {
            LOG.warn("cannot use the admission list ({}); trusting no peer left on the interface", e.getMessage());
            recorded = List.of();
        }
        Map<WireGuardPublicKey, AdmissionRecord> byKey = recorded.stream()
                .collect(Collectors.toMap(AdmissionRecord::publicKey, r -> r));
        synchronized (lock) {
            Instant now = clock.instant();
            List<WireGuardPublicKey> removals = new ArrayList<>();
            List<PeerEviction> evictions = new ArrayList<>();
            for (PeerState peer : device.peers()) {
                AdmissionRecord record = byKey.get(peer.publicKey());
                if (record == null) {
                    removals.add(peer.publicKey());
                    evictions.add(eviction(peer.publicKey(), EvictionReason.EVICTION_REASON_RECONCILED, "", now));
                } else if (!record.notAfter().isAfter(now)) {
                    removals.add(peer.publicKey());
                    evictions.add(eviction(peer.publicKey(), EvictionReason.EVICTION_REASON_EXPIRED, record.sessionId(), now));
                } else {
                    putRecordLocked(record);
                }
            }
            if (!removals.isEmpty()) {
                device.apply(new PeerChanges(List.of(), removals));
                evictions.forEach(this::queueEvictionLocked);
            }
            LOG.info("restored {} admitted peer(s) on {}; removed {} expired or unknown peer(s) before core connected",
                    records.size(), device.name(), removals.size());
            recordsVersion++;
            rescheduleLocked(now);
        }
        persistNow();
    }

    // --- core's changes ----------------------------------------------------------------------

    /** What one snapshot changed on the device. */
    public record Reconciliation(int added, int updated, int removed, int unchanged) {
    }

    /**
     * Makes the device hold exactly core's peers, in one device transaction, touching only what
     * differs. Entries already past not_after are left out (they would be evicted at once).
     * Refuses the whole snapshot if any entry is malformed, and then changes nothing.
     */
    public Reconciliation applySnapshot(List<PeerAdmission> snapshot) throws ConfigRejectedException {
        if (snapshot.size() > MAX_PEERS) {
            throw new ConfigRejectedException("the snapshot has " + snapshot.size() + " peers; a gateway holds at most "
                    + MAX_PEERS);
        }
        Reconciliation result;
        synchronized (lock) {
            checkOpenLocked();
            Instant now = clock.instant();
            sweepLocked(now);
            Map<WireGuardPublicKey, Admission> wanted = new HashMap<>();
            int expired = 0;
            for (PeerAdmission proto : snapshot) {
                if (proto.getNotAfterUnixMillis() <= now.toEpochMilli()) {
                    expired++;
                    continue;
                }
                Admission admission = Admission.fromProto(proto, now);
                if (wanted.put(admission.publicKey(), admission) != null) {
                    throw new ConfigRejectedException("the snapshot lists peer " + admission.publicKey() + " twice");
                }
            }
            Map<WireGuardPublicKey, PeerState> present = new HashMap<>();
            for (PeerState peer : readDevice()) {
                present.put(peer.publicKey(), peer);
            }
            List<PeerConfig> upserts = new ArrayList<>();
            List<WireGuardPublicKey> removals = new ArrayList<>();
            List<PeerEviction> evictions = new ArrayList<>();
            int added = 0;
            int updated = 0;
            for (Admission admission : wanted.values()) {
                PeerState current = present.get(admission.publicKey());
                if (current == null) {
                    added++;
                    upserts.add(admission.peerConfig());
                } else if (!admission.presharedKey().equals(presharedKeys.get(admission.publicKey()))
                        || !sameAllowedIps(admission.allowedIps(), current.allowedIps())) {
                    updated++;
                    upserts.add(admission.peerConfig());
                }
            }
            for (WireGuardPublicKey key : present.keySet()) {
                if (!wanted.containsKey(key)) {
                    removals.add(key);
                    AdmissionRecord record = records.get(key);
                    evictions.add(eviction(key, EvictionReason.EVICTION_REASON_RECONCILED,
                            record == null ? "" : record.sessionId(), now));
                }
            }
            applyToDevice(new PeerChanges(upserts, removals));
            records.clear();
            expiries.clear();
            presharedKeys.keySet().retainAll(wanted.keySet());
            for (Admission admission : wanted.values()) {
                putRecordLocked(AdmissionRecord.of(admission));
                presharedKeys.put(admission.publicKey(), admission.presharedKey());
            }
            evictions.forEach(this::queueEvictionLocked);
            recordsVersion++;
            rescheduleLocked(now);
            result = new Reconciliation(added, updated, removals.size(), wanted.size() - added - updated);
            if (expired > 0) {
                LOG.info("left out {} peer(s) of core's snapshot that had already expired", expired);
            }
        }
        persistSoon();
        return result;
    }

    /** Adds or updates one peer; returns once the device has it. */
    public void admit(PeerAdmission proto) throws ConfigRejectedException {
        boolean shortened;
        synchronized (lock) {
            checkOpenLocked();
            Instant now = clock.instant();
            sweepLocked(now);
            Admission admission = Admission.fromProto(proto, now);
            AdmissionRecord previous = records.get(admission.publicKey());
            if (previous == null && records.size() >= MAX_PEERS) {
                throw new ConfigRejectedException("this gateway already holds the maximum of " + MAX_PEERS + " peers");
            }
            applyToDevice(PeerChanges.upsert(admission.peerConfig()), admission.publicKey());
            putRecordLocked(AdmissionRecord.of(admission));
            presharedKeys.put(admission.publicKey(), admission.presharedKey());
            recordsVersion++;
            rescheduleLocked(now);
            shortened = previous != null && admission.notAfter().isBefore(previous.notAfter());
        }
        if (shortened) {
            // The file must never let a restarted gateway keep a peer longer than core now allows.
            persistNow();
        } else {
            persistSoon();
        }
    }

    /** Removes one peer; returns once the device no longer has it. A peer it does not have is fine. */
    public void evict(PeerEviction proto) throws ConfigRejectedException {
        WireGuardPublicKey key = Admission.publicKey(proto.getPublicKey().toByteArray());
        synchronized (lock) {
            checkOpenLocked();
            Instant now = clock.instant();
            sweepLocked(now);
            // Asked of the device even when unknown here: removing a peer it lacks is harmless,
            // and the device, not this map, is what must not have it.
            applyToDevice(PeerChanges.remove(key), key);
            forgetLocked(key);
            recordsVersion++;
            rescheduleLocked(now);
        }
        persistSoon();
    }

    /** Removes every peer (the gateway was revoked). Nothing is reported: core ordered it. */
    public void evictAll() throws DeviceException {
        synchronized (lock) {
            List<WireGuardPublicKey> all = device.peers().stream().map(PeerState::publicKey).toList();
            if (!all.isEmpty()) {
                device.apply(new PeerChanges(List.of(), all));
            }
            records.clear();
            presharedKeys.clear();
            expiries.clear();
            recordsVersion++;
        }
        persistNow();
    }

    // --- expiry ------------------------------------------------------------------------------

    /** Removes every peer whose not_after has passed now. Runs on the engine's thread by itself. */
    public void sweep() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            nextSweep = null;
            nextSweepAt = null;
            Instant now = clock.instant();
            sweepLocked(now);
            rescheduleLocked(now);
        }
        persistSoon();
    }

    /** Guarded by lock. A device failure is logged and retried on the next sweep (the peer stays queued). */
    private void sweepLocked(Instant now) {
        Map<WireGuardPublicKey, AdmissionRecord> dueByKey = new java.util.LinkedHashMap<>();
        while (!expiries.isEmpty() && !expiries.peek().notAfter().isAfter(now)) {
            AdmissionRecord candidate = expiries.poll();
            if (candidate.equals(records.get(candidate.publicKey()))) {
                dueByKey.put(candidate.publicKey(), candidate);
            }
        }
        List<AdmissionRecord> due = List.copyOf(dueByKey.values());
        if (due.isEmpty()) {
            return;
        }
        try {
            device.apply(new PeerChanges(List.of(), due.stream().map(AdmissionRecord::publicKey).toList()));
        } catch (DeviceException | RuntimeException e) {
            LOG.error("could not remove {} expired peer(s) from {}: {}; retrying", due.size(), device.name(), e.getMessage());
            expiries.addAll(due);
            return;
        }
        for (AdmissionRecord record : due) {
            forgetLocked(record.publicKey());
            queueEvictionLocked(eviction(record.publicKey(), EvictionReason.EVICTION_REASON_EXPIRED, record.sessionId(), now));
            LOG.info("removed peer {} (session {}): not_after {} passed", record.publicKey(), record.sessionId(),
                    record.notAfter());
        }
        recordsVersion++;
    }

    /** Guarded by lock. Wakes at the next not_after, or after the sweep interval, whichever is first. */
    private void rescheduleLocked(Instant now) {
        if (closed) {
            return;
        }
        if (expiries.size() > 2 * records.size() + 64) {
            expiries.clear();
            expiries.addAll(records.values());
        }
        Instant wake = now.plus(sweepInterval);
        AdmissionRecord first = expiries.peek();
        if (first != null && first.notAfter().isBefore(wake)) {
            wake = first.notAfter();
        }
        if (nextSweep != null && !nextSweepAt.isAfter(wake)) {
            return;
        }
        if (nextSweep != null) {
            nextSweep.cancel(false);
        }
        long delay = Math.max(0, Duration.between(now, wake).toMillis());
        try {
            nextSweep = executor.schedule(this::sweepQuietly, delay, TimeUnit.MILLISECONDS);
            nextSweepAt = wake;
        } catch (RejectedExecutionException e) {
            nextSweep = null;
        }
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.error("expiry sweep failed", e);
            synchronized (lock) {
                nextSweep = null;
                rescheduleLocked(clock.instant());
            }
        }
    }

    // --- what telemetry and health read ------------------------------------------------------

    /** The device's peers with their endpoints, handshakes and counters. */
    public List<PeerState> peerStates() throws DeviceException {
        synchronized (lock) {
            return device.peers();
        }
    }

    /** How many peers are admitted now. */
    public int peerCount() {
        synchronized (lock) {
            return records.size();
        }
    }

    /** Whether this peer is admitted now (known to the engine). */
    public boolean isAdmitted(WireGuardPublicKey key) {
        synchronized (lock) {
            return records.containsKey(key);
        }
    }

    /** Up to {@code max} local eviction reports not yet delivered, oldest first. */
    public List<PeerEviction> pendingEvictions(int max) {
        synchronized (lock) {
            return pendingEvictions.stream().limit(max).toList();
        }
    }

    /** These reports reached core: drop them from the queue (and only them). */
    public void evictionsDelivered(Collection<PeerEviction> delivered) {
        Set<PeerEviction> sent = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        sent.addAll(delivered);
        synchronized (lock) {
            pendingEvictions.removeIf(sent::contains);
        }
    }

    // --- internals ---------------------------------------------------------------------------

    /** Guarded by lock. */
    private void putRecordLocked(AdmissionRecord record) {
        records.put(record.publicKey(), record);
        expiries.add(record);
    }

    /** Guarded by lock. */
    private void forgetLocked(WireGuardPublicKey key) {
        records.remove(key);
        presharedKeys.remove(key);
    }

    /** Guarded by lock. */
    private void queueEvictionLocked(PeerEviction eviction) {
        if (pendingEvictions.size() >= MAX_PENDING_EVICTIONS) {
            PeerEviction dropped = pendingEvictions.removeFirst();
            LOG.warn("eviction report queue full: dropped the oldest report (session {})", dropped.getSessionId());
        }
        pendingEvictions.addLast(eviction);
    }

    private void checkOpenLocked() throws ConfigRejectedException {
        if (closed) {
            throw new ConfigRejectedException("the gateway is shutting down");
        }
    }

    /** Guarded by lock. Device failures become a refusal core sees; the cause is logged here only. */
    private void applyToDevice(PeerChanges changes, WireGuardPublicKey... affected) throws ConfigRejectedException {
        if (changes.isEmpty()) {
            return;
        }
        try {
            device.apply(changes);
        } catch (DeviceException | RuntimeException e) {
            // The device may hold either the old or the new key now: set these peers again next time.
            changes.upserts().forEach(peer -> presharedKeys.remove(peer.publicKey()));
            for (WireGuardPublicKey key : affected) {
                presharedKeys.remove(key);
            }
            LOG.error("the WireGuard interface {} refused a change ({} upserts, {} removals): {}", device.name(),
                    changes.upserts().size(), changes.removals().size(), e.getMessage(), e);
            throw new ConfigRejectedException("the gateway's WireGuard interface did not apply the change");
        }
    }

    /** Guarded by lock. */
    private List<PeerState> readDevice() throws ConfigRejectedException {
        try {
            return device.peers();
        } catch (DeviceException | RuntimeException e) {
            LOG.error("cannot read the peers of WireGuard interface {}: {}", device.name(), e.getMessage(), e);
            throw new ConfigRejectedException("the gateway cannot read its WireGuard interface");
        }
    }

    private static boolean sameAllowedIps(List<Cidr> wanted, List<String> onDevice) {
        Set<Cidr> device = new HashSet<>();
        for (String cidr : onDevice) {
            try {
                device.add(Cidr.parseClearingHostBits(cidr));
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return device.equals(new HashSet<>(wanted));
    }

    private static PeerEviction eviction(WireGuardPublicKey key, EvictionReason reason, String sessionId, Instant at) {
        return PeerEviction.newBuilder().setPublicKey(ByteString.copyFrom(key.bytes())).setReason(reason)
                .setSessionId(sessionId).setEvictedAtUnixMillis(at.toEpochMilli()).build();
    }

    // --- state file --------------------------------------------------------------------------

    /**
     * Writes the state file soon, on the engine's thread, coalescing bursts of admissions. A
     * crash before the write is safe: a peer the file lacks is evicted on restart (fail closed),
     * and one the file still lists but the device lacks is dropped.
     */
    private void persistSoon() {
        try {
            executor.execute(this::persistNow);
        } catch (RejectedExecutionException e) {
            // Closing: close() writes the final state.
        }
    }

    /** Writes the current records if the file does not already hold them. */
    void persistNow() {
        synchronized (writeLock) {
            List<AdmissionRecord> snapshot;
            long version;
            synchronized (lock) {
                version = recordsVersion;
                if (version == writtenVersion) {
                    return;
                }
                snapshot = List.copyOf(records.values());
            }
            try {
                stateFile.write(snapshot);
                writtenVersion = version;
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot write the admission list {}: {} (on restart, peers it lacks are evicted)",
                        stateFile.path(), e.getMessage());
            }
        }
    }

    /** Stops expiring and writes the state file. Leaves the device and its peers as they are. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (nextSweep != null) {
                nextSweep.cancel(false);
            }
        }
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        persistNow();
    }

    Optional<Instant> nextExpiry() {
        synchronized (lock) {
            return records.values().stream().map(AdmissionRecord::notAfter).min(Comparator.naturalOrder());
        }
    }
}
