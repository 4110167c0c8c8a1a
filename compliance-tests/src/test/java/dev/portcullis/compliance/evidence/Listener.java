package dev.portcullis.compliance.evidence;

import java.net.InetAddress;
import java.util.List;

/** A TCP listening or bound UDP socket of a process, as the kernel reports it. */
public record Listener(String protocol, InetAddress address, int port) {

    public String hostAndPort() {
        return address.getHostAddress() + ":" + port;
    }

    /** Reads a process's listening sockets (from /proc in the real suite). */
    @FunctionalInterface
    public interface Table {
        List<Listener> listening(long pid) throws Exception;
    }
}
