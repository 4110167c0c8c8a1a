package dev.portcullis.core.location;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.core.enroll.EnrollmentFixture;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.identity.Device;
import dev.portcullis.core.identity.DeviceKind;
import dev.portcullis.core.identity.Devices;
import dev.portcullis.core.identity.User;
import dev.portcullis.protocol.net.Cidr;
import java.math.BigInteger;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Device tunnel addresses from a location's pool, on real PostgreSQL. */
class AddressPoolTest {

    private final EnrollmentFixture fixture = new EnrollmentFixture();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private Device register(User user, String device, Location location) {
        return fixture.database.inTransaction(connection -> fixture.devices.register(connection, UUID.fromString(user.id()),
                user.name(), new Devices.NewDevice(device, DeviceKind.CONFIG, EnrollmentFixture.randomKey(), Optional.empty()),
                List.of(location), EnrollmentFixture.ADMIN));
    }

    @Test
    void fiftyConcurrentRegistrationsGetFiftyDistinctAddressesFromThePool() throws Exception {
        Location location = fixture.location("berlin", "10.8.0.0/26", List.of(), List.of());
        fixture.gateway("gw-1", "berlin", "10.8.0.1/26", "203.0.113.10", 51820, 0);
        List<User> users = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            users.add(fixture.user("user" + i));
        }
        int registrations = 50;
        ExecutorService threads = Executors.newFixedThreadPool(registrations);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Device>> results = new ArrayList<>();
            for (int i = 0; i < registrations; i++) {
                User user = users.get(i % users.size());
                String name = "device-" + i;
                Callable<Device> registration = () -> {
                    start.await();
                    return register(user, name, location);
                };
                results.add(threads.submit(registration));
            }
            start.countDown();
            List<String> addresses = new ArrayList<>();
            for (Future<Device> result : results) {
                addresses.add(result.get(60, TimeUnit.SECONDS).addresses().get("berlin"));
            }

            assertThat(addresses).hasSize(registrations).doesNotHaveDuplicates()
                    .allSatisfy(a -> assertThat(Cidr.parse("10.8.0.0/26").contains(Cidr.parse(a))).as(a).isTrue())
                    .doesNotContain("10.8.0.0/32", "10.8.0.1/32", "10.8.0.63/32");
            assertThat(addresses.stream().map(a -> Integer.parseInt(a.substring(7, a.indexOf('/')))).sorted().toList())
                    .as("first free, so the pool is filled from the bottom").isEqualTo(
                            java.util.stream.IntStream.rangeClosed(2, 51).boxed().toList());
            int distinct = fixture.database.inTransaction(c -> {
                try (ResultSet rs = c.createStatement().executeQuery(
                        "SELECT count(DISTINCT address) FROM device_addresses WHERE location = 'berlin'")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(distinct).isEqualTo(registrations);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void anExhaustedPoolIsAClearErrorAndTheDeviceIsNotRegistered() {
        Location tiny = fixture.location("tiny", "10.9.0.0/29", List.of(), List.of());
        fixture.gateway("gw-tiny", "tiny", "10.9.0.1/29", "203.0.113.11", 51820, 0);
        User alice = fixture.user("alice");
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            addresses.add(register(alice, "device-" + i, tiny).addresses().get("tiny"));
        }

        assertThatThrownBy(() -> register(alice, "one-too-many", tiny))
                .isInstanceOf(ConflictException.class)
                .hasMessage("No tunnel address is free at location 'tiny' (its pool 10.9.0.0/29 is used up). "
                        + "Ask your administrator to enlarge the pool.");
        assertThat(addresses).containsExactly("10.9.0.2/32", "10.9.0.3/32", "10.9.0.4/32", "10.9.0.5/32", "10.9.0.6/32");
        assertThat(fixture.devices.list(Optional.of("alice"))).extracting(Device::name).doesNotContain("one-too-many");
    }

    @Test
    void aDeletedDevicesAddressIsHandedOutAgain() {
        Location berlin = fixture.location("berlin", "10.8.0.0/24", List.of(), List.of());
        User alice = fixture.user("alice");
        register(alice, "one", berlin);
        register(alice, "two", berlin);

        fixture.devices.delete("alice", "one", EnrollmentFixture.ADMIN);

        assertThat(register(alice, "three", berlin).addresses()).containsEntry("berlin", "10.8.0.2/32");
    }

    @Test
    void theLocationsDnsServerAddressIsNeverHandedToADevice() {
        // The fixture's locations name 10.8.0.1 as their DNS server; this one has no gateway yet.
        Location berlin = fixture.location("berlin", "10.8.0.0/24", List.of(), List.of());
        User alice = fixture.user("alice");

        assertThat(register(alice, "one", berlin).addresses()).containsEntry("berlin", "10.8.0.2/32");
        assertThat(register(alice, "two", berlin).addresses()).containsEntry("berlin", "10.8.0.3/32");
    }

    @Test
    void ipv6PoolsHandOutHostAddressesInCanonicalForm() {
        Location v6 = fixture.location("v6", "fd00:8::/120", List.of(), List.of());
        fixture.gateway("gw-v6", "v6", "fd00:8::1/120", "203.0.113.12", 51820, 0);
        User alice = fixture.user("alice");

        assertThat(register(alice, "one", v6).addresses()).containsEntry("v6", "fd00:8::2/128");
        assertThat(register(alice, "two", v6).addresses()).containsEntry("v6", "fd00:8::3/128");
    }

    @Test
    void firstFreeSkipsTheNetworkAndBroadcastAddresses() {
        Cidr slash30 = Cidr.parse("10.1.0.0/30");

        assertThat(AddressPool.firstFree(slash30, Set.of())).contains("10.1.0.1/32");
        assertThat(AddressPool.firstFree(slash30, Set.of(BigInteger.valueOf(0x0A010001L)))).contains("10.1.0.2/32");
        assertThat(AddressPool.firstFree(slash30, Set.of(BigInteger.valueOf(0x0A010001L), BigInteger.valueOf(0x0A010002L))))
                .isEmpty();
    }
}
