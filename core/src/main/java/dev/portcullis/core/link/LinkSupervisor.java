package dev.portcullis.core.link;

import dev.portcullis.pki.authority.CertificateAuthority;
import dev.portcullis.protocol.v1.ConfigUpdate;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one outbound link per registered component: dials it (joining it first if it is not
 * adopted), keeps one control stream open, reconnects with jittered backoff, pushes configuration,
 * rotates certificates and revokes. Core never listens for components; it only dials them.
 */
public final class LinkSupervisor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LinkSupervisor.class);
    /** Public requests being answered at once; beyond this plus the queue, the proxy gets a 503. */
    static final int PUBLIC_REQUEST_THREADS = 8;
    /** Queued public requests; a burst larger than this is shed rather than piling up memory. */
    static final int PUBLIC_REQUEST_QUEUE = 256;
    /** Stream callbacks (small, non-blocking work) for all links. */
    static final int CALLBACK_THREADS = 2;

    private final ComponentDirectory directory;
    private final CertificateAuthority ca;
    private final PublicRequestHandler publicRequests;
    private final ComponentReports reports;
    private final SupervisorSettings settings;
    private final CoreIdentity coreIdentity;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService workers;
    private final ExecutorService callbacks;
    private final ExecutorService requestWorkers;
    private final Map<String, OutboundLink> links = new ConcurrentHashMap<>();
    private volatile boolean started;

    public LinkSupervisor(ComponentDirectory directory, CertificateAuthority ca, PublicRequestHandler publicRequests,
                          SupervisorSettings settings) {
        this(directory, ca, publicRequests, settings, ComponentReports.NONE);
    }

    public LinkSupervisor(ComponentDirectory directory, CertificateAuthority ca, PublicRequestHandler publicRequests,
                          SupervisorSettings settings, ComponentReports reports) {
        this.reports = reports;
        this.directory = directory;
        this.ca = ca;
        this.publicRequests = publicRequests;
        this.settings = settings;
        this.coreIdentity = new CoreIdentity(ca);
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemon("link-timer"));
        timer.setRemoveOnCancelPolicy(true);
        this.scheduler = timer;
        this.workers = Executors.newCachedThreadPool(daemon("link-dial"));
        this.callbacks = Executors.newFixedThreadPool(CALLBACK_THREADS, daemon("link-stream"));
        this.requestWorkers = new ThreadPoolExecutor(PUBLIC_REQUEST_THREADS, PUBLIC_REQUEST_THREADS, 60,
                TimeUnit.SECONDS, new ArrayBlockingQueue<>(PUBLIC_REQUEST_QUEUE), daemon("public-request"));
    }

    /** Starts dialing every component the directory lists. */
    public void start() {
        started = true;
        for (ComponentRecord component : directory.components()) {
            componentRegistered(component.id());
        }
        scheduleCoreRenewal();
        LOG.info("dialing {} component(s)", links.size());
    }

    /** A component was registered (the admin has its join token): start dialing it. */
    public void componentRegistered(String componentId) {
        if (!started) {
            return;
        }
        links.computeIfAbsent(componentId, id -> {
            OutboundLink link = new OutboundLink(id, directory, ca, coreIdentity, publicRequests, reports, settings,
                    scheduler, workers, callbacks, requestWorkers);
            link.start();
            return link;
        });
    }

    /** A component was removed: tell it (Revoked), close its stream, stop dialing. */
    public void componentRemoved(String componentId, String reason) {
        OutboundLink link = links.remove(componentId);
        if (link != null) {
            link.remove(reason);
        }
    }

    /** Push an incremental configuration change to a connected component (a disconnected one gets a snapshot on connect). */
    public void configurationChanged(String componentId, ConfigUpdate update) {
        OutboundLink link = links.get(componentId);
        if (link != null) {
            link.configurationChanged(update);
        }
    }

    /**
     * Pushes an update and completes once the component acknowledged it (device reflects it, for
     * gateways). Fails with {@link RefusedUpdateException} if the component is not connected,
     * refuses the change or its stream ends first. Callers bound the wait with a timeout.
     */
    public java.util.concurrent.CompletableFuture<Void> pushUpdate(String componentId, ConfigUpdate update) {
        OutboundLink link = links.get(componentId);
        if (link == null) {
            return java.util.concurrent.CompletableFuture.failedFuture(
                    new RefusedUpdateException("component is not registered"));
        }
        return link.pushUpdate(update);
    }

    /** Rotate the component's certificate now (or as soon as it is connected). */
    public void rotateNow(String componentId) {
        OutboundLink link = links.get(componentId);
        if (link != null) {
            link.rotateNow();
        }
    }

    /** Current status of every link, by component id. */
    public Map<String, LinkStatus> statuses() {
        Map<String, LinkStatus> result = new TreeMap<>();
        links.forEach((id, link) -> result.put(id, link.status()));
        return result;
    }

    private void scheduleCoreRenewal() {
        long delay = Math.max(1000, Duration.between(settings.clock().instant(), coreIdentity.renewAt()).toMillis());
        scheduler.schedule(() -> {
            coreIdentity.renew();
            LOG.info("renewed core's client certificate");
            scheduleCoreRenewal();
        }, delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        started = false;
        links.values().forEach(OutboundLink::close);
        links.clear();
        scheduler.shutdownNow();
        workers.shutdownNow();
        requestWorkers.shutdownNow();
        callbacks.shutdown();
        try {
            callbacks.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
