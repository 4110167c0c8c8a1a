package dev.portcullis.protocol.link;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.CertificateException;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket of a link server. Each connection it accepts gets a {@link HandshakeObserver}
 * so that a TLS handshake the JDK refuses on its own (no client certificate, no common protocol,
 * a timeout) is logged like a rejection by the trust manager. gRPC itself reports those only at
 * debug level, and a peer rejected without a log line is a peer an operator cannot see.
 */
final class ObservedServerChannel extends NioServerSocketChannel {

    private final String mode;

    ObservedServerChannel(String mode) {
        this.mode = mode;
    }

    @Override
    protected int doReadMessages(List<Object> accepted) throws Exception {
        int before = accepted.size();
        int read = super.doReadMessages(accepted);
        for (int i = before; i < accepted.size(); i++) {
            if (accepted.get(i) instanceof Channel connection) {
                connection.pipeline().addLast(new HandshakeObserver(mode));
            }
        }
        return read;
    }

    /**
     * Logs a failed TLS handshake on one connection. gRPC puts the TLS handler into the pipeline
     * while the connection registers, so by the time the connection is active it is there to watch;
     * the observer then steps out of the pipeline.
     */
    static final class HandshakeObserver extends ChannelInboundHandlerAdapter {

        private static final Logger log = LoggerFactory.getLogger(HandshakeObserver.class);
        private final String mode;

        HandshakeObserver(String mode) {
            this.mode = mode;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            Channel connection = ctx.channel();
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            if (tls != null) {
                tls.handshakeFuture().addListener(handshake -> {
                    if (!handshake.isSuccess()) {
                        report(connection, handshake.cause());
                    }
                });
            } else {
                log.debug("connection from {} ({}) has no TLS handler to watch", connection.remoteAddress(), mode);
            }
            ctx.fireChannelActive();
            ctx.pipeline().remove(this);
        }

        private void report(Channel connection, Throwable cause) {
            if (rejectedByTrustManager(cause)) {
                // PinnedTrustManager's listener has already logged the reason for this peer.
                log.debug("TLS handshake from {} ({}) failed after certificate rejection", connection.remoteAddress(), mode);
            } else if (cause instanceof SSLException) {
                log.warn("rejected core connection from {} ({}): TLS handshake failed ({})",
                        connection.remoteAddress(), mode, cause.getMessage());
            } else {
                log.debug("connection from {} ({}) closed before completing TLS: {}", connection.remoteAddress(), mode,
                        String.valueOf(cause));
            }
        }

        private static boolean rejectedByTrustManager(Throwable cause) {
            for (Throwable t = cause; t != null; t = t.getCause()) {
                if (t instanceof CertificateException) {
                    return true;
                }
            }
            return false;
        }
    }
}
