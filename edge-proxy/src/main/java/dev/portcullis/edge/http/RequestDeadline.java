package dev.portcullis.edge.http;

import io.micronaut.http.server.netty.NettyServerCustomizer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose client owes the proxy a request for longer than the deadline: from
 * the moment the connection is ready, or the last answer was sent, until the last byte of the
 * next request's body. An idle-read timeout alone does not stop a client that trickles one byte
 * every few seconds (slowloris); this bounds the whole request. While the proxy owes the client
 * an answer (waiting for core), the clock does not run: that wait has its own timeout.
 *
 * <p>Confined to the connection's event loop, like every Netty handler: no locking.
 */
final class RequestDeadline extends ChannelDuplexHandler {

    /**
     * A request is at most 8 KiB of headers and 64 KiB of body: even at 10 KB/s that takes under
     * ten seconds. Thirty seconds also ends idle keep-alive connections in time (nginx uses 75 s,
     * Apache 5 s); a browser simply opens a new one.
     */
    static final Duration DEFAULT = Duration.ofSeconds(30);
    /** Name of the handler in the connection's pipeline. */
    static final String HANDLER_NAME = "portcullis-request-deadline";
    /** Micronaut's request handler: the deadline goes right before it, behind the HTTP decoder. */
    private static final String MICRONAUT_INBOUND_HANDLER = "micronaut-inbound-handler";
    private static final Logger LOG = LoggerFactory.getLogger(RequestDeadline.class);

    private final long deadlineNanos;
    /** Running while the client owes us something; null while we owe the client. */
    private ScheduledFuture<?> timer;
    /** Requests whose headers arrived. */
    private long started;
    /** Requests whose body arrived to its end. */
    private long finished;
    /**
     * Responses sent to their end. Can overtake {@link #finished}: a 413 goes out before the
     * body it refuses has arrived (or ever does).
     */
    private long answered;
    /** The response being written is an interim (1xx) one. */
    private boolean interim;

    RequestDeadline(Duration deadline) {
        this.deadlineNanos = deadline.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            update(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        update(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest) {
            started++;
        }
        if (msg instanceof LastHttpContent) {
            finished++;
        }
        update(ctx);
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse response) {
            // "100 Continue" answers nothing yet: the real answer follows.
            interim = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        }
        if (msg instanceof LastHttpContent) {
            if (!interim) {
                answered++;
                update(ctx);
            }
            interim = false;
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    /**
     * The clock runs exactly while the client owes us something: the rest of a request it began,
     * or, with every request answered, the next one (an idle connection).
     */
    private void update(ChannelHandlerContext ctx) {
        boolean clientOwes = finished < started || answered >= started;
        if (clientOwes && timer == null) {
            timer = ctx.executor().schedule(() -> expire(ctx), deadlineNanos, TimeUnit.NANOSECONDS);
        } else if (!clientOwes) {
            cancel();
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        if (ctx.channel().isActive()) {
            LOG.debug("closing a connection from {}: no complete request within {} ms", ctx.channel().remoteAddress(),
                    TimeUnit.NANOSECONDS.toMillis(deadlineNanos));
            ctx.close();
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Puts a {@link RequestDeadline} into every HTTP/1 connection of the server it is registered with. */
    static final class Installer implements NettyServerCustomizer {

        /** Warn once per process, not once per connection. */
        private static final java.util.concurrent.atomic.AtomicBoolean MISSING_WARNED = new java.util.concurrent.atomic.AtomicBoolean();

        private final Duration deadline;
        private final Channel channel;

        Installer(Duration deadline) {
            this(deadline, null);
        }

        private Installer(Duration deadline, Channel channel) {
            this.deadline = deadline;
            this.channel = channel;
        }

        @Override
        public NettyServerCustomizer specializeForChannel(Channel connection, ChannelRole role) {
            return role == ChannelRole.CONNECTION ? new Installer(deadline, connection) : this;
        }

        @Override
        public void onStreamPipelineBuilt() {
            if (channel == null) {
                return;
            }
            ChannelPipeline pipeline = channel.pipeline();
            if (pipeline.get(HANDLER_NAME) != null) {
                return;
            }
            if (pipeline.get(MICRONAUT_INBOUND_HANDLER) == null) {
                if (MISSING_WARNED.compareAndSet(false, true)) {
                    LOG.warn("cannot bound request time: no {} in the connection pipeline {}", MICRONAUT_INBOUND_HANDLER, pipeline.names());
                }
                return;
            }
            pipeline.addBefore(MICRONAUT_INBOUND_HANDLER, HANDLER_NAME, new RequestDeadline(deadline));
        }
    }
}
