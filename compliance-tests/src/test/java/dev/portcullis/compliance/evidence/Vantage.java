package dev.portcullis.compliance.evidence;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a network probe runs from: this host's own network, or a network namespace standing for a
 * zone (the internet, a client's LAN). A probe's command line is {@link #command prefixed} with
 * what puts it there, so the report shows exactly from where each observation was made.
 *
 * @param name   how the report names the place, e.g. "internet zone"
 * @param prefix what the probe's argument vector is run under (empty: this host)
 */
public record Vantage(String name, List<String> prefix) {

    public Vantage {
        prefix = List.copyOf(prefix);
    }

    /** The network of the process running the suite. */
    public static Vantage host() {
        return new Vantage("this host", List.of());
    }

    /** Inside the network namespace {@code netns} (as {@code ip netns exec} names it), reported as {@code label}. */
    public static Vantage namespace(String label, String netns) {
        return new Vantage(label, List.of("ip", "netns", "exec", netns));
    }

    /** The probe's argument vector, run from here. */
    public List<String> command(String... argv) {
        return command(List.of(argv));
    }

    /** The probe's argument vector, run from here. */
    public List<String> command(List<String> argv) {
        List<String> line = new ArrayList<>(prefix);
        line.addAll(argv);
        return List.copyOf(line);
    }
}
