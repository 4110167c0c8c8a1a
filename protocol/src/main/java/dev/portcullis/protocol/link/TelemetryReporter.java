package dev.portcullis.protocol.link;

import dev.portcullis.protocol.v1.ComponentMessage;
import dev.portcullis.protocol.v1.Telemetry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends {@link Telemetry} to core every {@link #INTERVAL} while core holds the control stream
 * (the sender returns false and nothing is queued while core is away). One daemon thread.
 */
public final class TelemetryReporter implements AutoCloseable {

    /** Often enough for core to see a component's memory trend; rare enough to cost nothing. */
    public static final Duration INTERVAL = Duration.ofSeconds(15);

    private static final Logger LOG = LoggerFactory.getLogger(TelemetryReporter.class);

    private final Predicate<ComponentMessage> sender;
    private final LongSupplier configVersion;
    private final LongSupplier residentBytes;
    private final Clock clock;
    private final Instant startedAt;
    private final ScheduledExecutorService executor;

    /**
     * @param sender        sends on the control stream; false when core is not connected (e.g. {@code ComponentLink::send})
     * @param configVersion the configuration version being served
     * @param residentBytes resident memory, bytes (e.g. {@link ProcessMemory#residentBytes()})
     * @param clock         wall clock for timestamps and uptime
     */
    public TelemetryReporter(Predicate<ComponentMessage> sender, LongSupplier configVersion, LongSupplier residentBytes,
                             Clock clock) {
        this.sender = Objects.requireNonNull(sender, "sender");
        this.configVersion = Objects.requireNonNull(configVersion, "configVersion");
        this.residentBytes = Objects.requireNonNull(residentBytes, "residentBytes");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.startedAt = clock.instant();
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "telemetry");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts the periodic reports. */
    public TelemetryReporter start() {
        long period = INTERVAL.toMillis();
        executor.scheduleAtFixedRate(this::reportQuietly, period, period, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Sends one report soon, off the caller's thread (e.g. right after core connected). */
    public void reportSoon() {
        try {
            executor.execute(this::reportQuietly);
        } catch (RejectedExecutionException e) {
            // Closed: nothing more to report.
        }
    }

    /** The report as it would be sent now. */
    public Telemetry snapshot() {
        Instant now = clock.instant();
        return Telemetry.newBuilder()
                .setSentAtUnixMillis(now.toEpochMilli())
                .setConfigVersion(configVersion.getAsLong())
                .setUptimeSeconds(Math.max(0, Duration.between(startedAt, now).getSeconds()))
                .setRssBytes(Math.max(0, residentBytes.getAsLong()))
                .build();
    }

    /** Sends a report now; false if core is not connected. */
    public boolean report() {
        return sender.test(ComponentMessage.newBuilder().setTelemetry(snapshot()).build());
    }

    private void reportQuietly() {
        try {
            report();
        } catch (RuntimeException e) {
            // A failed report must not stop the schedule; the next one will try again.
            LOG.debug("telemetry not sent: {}", e.toString());
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
