package dev.portcullis.gateway.admission;

import dev.portcullis.protocol.wireguard.DeviceException;
import dev.portcullis.protocol.wireguard.PeerChanges;
import dev.portcullis.protocol.wireguard.PeerConfig;
import dev.portcullis.protocol.wireguard.PeerState;
import dev.portcullis.protocol.wireguard.WireGuardDevice;
import dev.portcullis.pki.wireguard.PresharedKey;
import dev.portcullis.pki.wireguard.WireGuardPrivateKey;
import dev.portcullis.pki.wireguard.WireGuardPublicKey;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory WireGuard interface with a log of every transaction applied to it. Like
 * wireguard-go, removing a peer it does not have is harmless. Tests can set a peer's traffic, make
 * the next call fail, or hold {@link #apply} until released. Thread-safe (synchronized).
 */
public final class FakeWireGuardDevice implements WireGuardDevice {

    /** One peer as the fake holds it, including the preshared key (which a real device never returns). */
    public record Peer(PeerConfig config, Optional<InetSocketAddress> endpoint, Optional<Instant> lastHandshake, long rx,
                       long tx) {
    }

    private final Map<WireGuardPublicKey, Peer> peers = new LinkedHashMap<>();
    private final List<PeerChanges> transactions = new ArrayList<>();
    private WireGuardPrivateKey privateKey;
    private int listenPort;
    private DeviceException failNext;
    private volatile CountDownLatch gate;
    private volatile CountDownLatch entered = new CountDownLatch(1);

    @Override
    public String name() {
        return "fakewg0";
    }

    @Override
    public synchronized void configure(WireGuardPrivateKey key, int port) {
        this.privateKey = key;
        this.listenPort = port;
    }

    @Override
    public void apply(PeerChanges changes) throws DeviceException {
        CountDownLatch waitFor = gate;
        if (waitFor != null) {
            entered.countDown();
            try {
                if (!waitFor.await(30, TimeUnit.SECONDS)) {
                    throw new DeviceException("test gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeviceException("interrupted");
            }
        }
        synchronized (this) {
            if (failNext != null) {
                DeviceException failure = failNext;
                failNext = null;
                throw failure;
            }
            transactions.add(changes);
            for (WireGuardPublicKey key : changes.removals()) {
                peers.remove(key);
            }
            for (PeerConfig config : changes.upserts()) {
                Peer old = peers.get(config.publicKey());
                peers.put(config.publicKey(), old == null ? new Peer(config, Optional.empty(), Optional.empty(), 0, 0)
                        : new Peer(config, old.endpoint(), old.lastHandshake(), old.rx(), old.tx()));
            }
        }
    }

    @Override
    public synchronized List<PeerState> peers() throws DeviceException {
        if (failNext != null) {
            DeviceException failure = failNext;
            failNext = null;
            throw failure;
        }
        return peers.values().stream().map(peer -> new PeerState(peer.config().publicKey(), true,
                peer.config().allowedIps(), peer.endpoint(), peer.lastHandshake(), peer.rx(), peer.tx())).toList();
    }

    @Override
    public synchronized DeviceInfo info() {
        return new DeviceInfo(java.util.Optional.ofNullable(privateKey).map(k -> k.publicKey()), listenPort);
    }

    @Override
    public void close() {
    }

    // --- test controls -----------------------------------------------------------------------

    /** Puts a peer on the device behind the engine's back (e.g. left from before a restart). */
    public synchronized void preload(WireGuardPublicKey key, PresharedKey psk, String... allowedIps) {
        peers.put(key, new Peer(new PeerConfig(key, psk, List.of(allowedIps)), Optional.empty(), Optional.empty(), 0, 0));
    }

    /** Simulates traffic: a handshake from an endpoint and byte counters. */
    public synchronized void traffic(WireGuardPublicKey key, InetSocketAddress endpoint, Instant handshake, long rx, long tx) {
        Peer old = peers.get(key);
        peers.put(key, new Peer(old.config(), Optional.of(endpoint), Optional.of(handshake), rx, tx));
    }

    public synchronized Optional<Peer> peer(WireGuardPublicKey key) {
        return Optional.ofNullable(peers.get(key));
    }

    public synchronized List<WireGuardPublicKey> keys() {
        return List.copyOf(peers.keySet());
    }

    public synchronized List<PeerChanges> transactions() {
        return List.copyOf(transactions);
    }

    public synchronized void clearLog() {
        transactions.clear();
    }

    public synchronized void failNext(String message) {
        failNext = new DeviceException(message);
    }

    /** From now on, {@link #apply} waits until {@link #release()}; {@link #awaitBlocked()} says one is waiting. */
    public void block() {
        entered = new CountDownLatch(1);
        gate = new CountDownLatch(1);
    }

    public boolean awaitBlocked() throws InterruptedException {
        return entered.await(10, TimeUnit.SECONDS);
    }

    public void release() {
        CountDownLatch open = gate;
        gate = null;
        if (open != null) {
            open.countDown();
        }
    }

    public synchronized int listenPort() {
        return listenPort;
    }
}
