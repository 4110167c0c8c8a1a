package dev.portcullis.core.link;

import dev.portcullis.protocol.v1.Hello;
import dev.portcullis.protocol.v1.Telemetry;

/**
 * Where the links hand over what components report about themselves. Called on the link's
 * stream thread: implementations must be quick and must not throw.
 */
public interface ComponentReports {

    ComponentReports NONE = new ComponentReports() {
        @Override
        public void hello(String componentId, Hello hello) {
        }

        @Override
        public void telemetry(String componentId, Telemetry telemetry) {
        }
    };

    /** Hands every report to each of {@code reports} in turn (each must not throw, as above). */
    static ComponentReports all(ComponentReports... reports) {
        java.util.List<ComponentReports> each = java.util.List.of(reports);
        return new ComponentReports() {
            @Override
            public void hello(String componentId, Hello hello) {
                each.forEach(r -> r.hello(componentId, hello));
            }

            @Override
            public void telemetry(String componentId, Telemetry telemetry) {
                each.forEach(r -> r.telemetry(componentId, telemetry));
            }
        };
    }

    /** A component said Hello on a new stream (a gateway: its WireGuard public key and port). */
    void hello(String componentId, Hello hello);

    /** A component sent telemetry (a gateway: per-peer statistics and local evictions). */
    void telemetry(String componentId, Telemetry telemetry);
}
