package dev.portcullis.gateway.acl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * An inclusive range of TCP or UDP destination ports, {@code 1 <= first <= last <= 65535}. Port 0
 * is not a destination anyone can connect to, so a policy naming it is a mistake, not a wildcard.
 */
public record PortSpan(int first, int last) {

    public static final int MIN_PORT = 1;
    public static final int MAX_PORT = 65_535;

    public PortSpan {
        if (first < MIN_PORT || last > MAX_PORT || first > last) {
            throw new IllegalArgumentException("ports must satisfy " + MIN_PORT + " <= first <= last <= " + MAX_PORT);
        }
    }

    /** Sorted, with overlapping and adjacent spans joined: the same ports, each written once. */
    public static List<PortSpan> normalize(List<PortSpan> spans) {
        List<PortSpan> sorted = new ArrayList<>(spans);
        sorted.sort(Comparator.comparingInt(PortSpan::first).thenComparingInt(PortSpan::last));
        List<PortSpan> result = new ArrayList<>();
        for (PortSpan span : sorted) {
            int lastIndex = result.size() - 1;
            if (lastIndex >= 0 && span.first() <= result.get(lastIndex).last() + 1) {
                PortSpan previous = result.get(lastIndex);
                result.set(lastIndex, new PortSpan(previous.first(), Math.max(previous.last(), span.last())));
            } else {
                result.add(span);
            }
        }
        return List.copyOf(result);
    }

    /** nft text: {@code 443} or {@code 8000-8080}. */
    @Override
    public String toString() {
        return first == last ? Integer.toString(first) : first + "-" + last;
    }
}
