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
    private final Contribution contribution;

    /**
     * @param sender        sends on the control stream; false when core is not connected (e.g. {@code ComponentLink::send})
     * @param configVersion the configuration version being served
     * @param residentBytes resident memory, bytes (e.g. {@link ProcessMemory#residentBytes()})
     * @param clock         wall clock for timestamps and uptime
     */
    public TelemetryReporter(Predicate<ComponentMessage> sender, LongSupplier configVersion, LongSupplier residentBytes,
                             Clock clock) {
        this(sender, configVersion, residentBytes, clock, Contribution.NONE);
    }

    /** As above, with component-specific fields added to every report (a gateway's peer statistics). */
    public TelemetryReporter(Predicate<ComponentMessage> sender, LongSupplier configVersion, LongSupplier residentBytes,
                             Clock clock, Contribution contribution) {
        this.contribution = Objects.requireNonNull(contribution, "contribution");
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
    public synchronized Telemetry snapshot() {
        Instant now = clock.instant();
        Telemetry.Builder report = Telemetry.newBuilder()
                .setSentAtUnixMillis(now.toEpochMilli())
                .setConfigVersion(configVersion.getAsLong())
                .setUptimeSeconds(Math.max(0, Duration.between(startedAt, now).getSeconds()))
                .setRssBytes(Math.max(0, residentBytes.getAsLong()));
        contribution.addTo(report);
        return report.build();
    }

    /** Sends a report now; false (and the contribution is not told it was delivered) if core is not connected. */
    public synchronized boolean report() {
        Telemetry report = snapshot();
        if (!sender.test(ComponentMessage.newBuilder().setTelemetry(report).build())) {
            return false;
        }
        contribution.delivered(report);
        return true;
    }

    /**
     * What a component adds to the common report. Called under the reporter's lock, one report at
     * a time: {@link #addTo} while building, {@link #delivered} only if that report reached the stream.
     */
    public interface Contribution {

        Contribution NONE = report -> { };

        void addTo(Telemetry.Builder report);

        default void delivered(Telemetry report) {
        }
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
