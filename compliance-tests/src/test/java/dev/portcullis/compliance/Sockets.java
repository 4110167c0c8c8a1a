package dev.portcullis.compliance;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads a process's sockets from the kernel (/proc), not from its configuration: which TCP
 * sockets it listens on and which UDP sockets it has bound.
 */
final class Sockets {

    private static final String TCP_LISTEN = "0A";

    /** A listening or bound socket: address and port as the kernel reports them. */
    record Endpoint(String protocol, InetAddress address, int port) {
        /** Address and port; an IPv4-mapped IPv6 address (tcp6 table) reads as its IPv4 form. */
        String hostAndPort() {
            return address.getHostAddress() + ":" + port;
        }

        @Override
        public String toString() {
            return protocol + " " + hostAndPort();
        }
    }

    private Sockets() {
    }

    /** TCP listening sockets and bound UDP sockets owned by the process. */
    static List<Endpoint> listening(long pid) throws IOException {
        Set<String> inodes = socketInodes(pid);
        List<Endpoint> result = new ArrayList<>();
        result.addAll(read(pid, "tcp", inodes, true));
        result.addAll(read(pid, "tcp6", inodes, true));
        result.addAll(read(pid, "udp", inodes, false));
        result.addAll(read(pid, "udp6", inodes, false));
        return result;
    }

    private static Set<String> socketInodes(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (NoSuchFileException e) {
                    // the descriptor closed while we looked
                }
            }
        }
        return inodes;
    }

    private static List<Endpoint> read(long pid, String table, Set<String> inodes, boolean listenOnly) throws IOException {
        Path file = Path.of("/proc", Long.toString(pid), "net", table);
        List<Endpoint> result = new ArrayList<>();
        if (!Files.exists(file)) {
            return result;
        }
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.trim().split("\\s+");
            String local = fields[1];
            String state = fields[3];
            String inode = fields[9];
            if (!inodes.contains(inode) || (listenOnly && !TCP_LISTEN.equals(state))) {
                continue;
            }
            String[] addressPort = local.split(":");
            result.add(new Endpoint(table, decode(addressPort[0]), Integer.parseInt(addressPort[1], 16)));
        }
        return result;
    }

    /** /proc/net prints addresses as 32-bit words in host (little-endian) order. */
    private static InetAddress decode(String hex) throws UnknownHostException {
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = word * 8 + (3 - i) * 2;
                bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        return InetAddress.getByAddress(bytes);
    }
}
