package io.fleetdeploy.core.operation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Leases against a real S3 protocol implementation (embedded S3Proxy honours If-None-Match / If-Match). */
class S3LeasesTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    private final TestClock clock = new TestClock();

    private S3Leases leases() {
        return new S3Leases(S3.client(), S3Layout.of(S3.bucket(), "", "shop"), clock, clock.sleeper());
    }

    @Test
    void ofConcurrentAcquirersExactlyOneWinsAndTheOthersNameIt() throws Exception {
        S3Leases leases = leases();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Lease>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String holder = "build-" + i;
                Callable<Lease> take = () -> leases.acquire("web", holder, "op-" + holder, LeaseOptions.defaults(), ProgressListener.NONE);
                results.add(pool.submit(take));
            }
            List<Lease> winners = new ArrayList<>();
            List<String> refusals = new ArrayList<>();
            for (Future<Lease> result : results) {
                try {
                    winners.add(result.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(FleetDeployException.class);
                    refusals.add(e.getCause().getMessage());
                }
            }
            assertThat(winners).hasSize(1);
            assertThat(refusals).hasSize(7).allSatisfy(m -> assertThat(m).contains("being changed by " + winners.get(0).holder()));
            assertThat(leases.read("web")).get().extracting(Lease::holder).isEqualTo(winners.get(0).holder());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void heartbeatExtendsTheLeaseAndKeepsOthersOut() {
        S3Leases leases = leases();
        Lease lease = leases.acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        clock.advance(Duration.ofMinutes(1));
        Lease renewed = leases.renew(lease, Duration.ofMinutes(2));
        assertThat(renewed.expires()).isAfter(lease.expires());
        clock.advance(Duration.ofMinutes(2).minusSeconds(1));
        assertThatThrownBy(() -> leases.acquire("web", "ci#2", "op-2", LeaseOptions.defaults(), ProgressListener.NONE))
                .hasMessageContaining("ci#1").hasMessageContaining("op-1");
        assertThatThrownBy(() -> leases.renew(lease, Duration.ofMinutes(2))).isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("no longer held"); // the stale ETag no longer matches
    }

    @Test
    void anExpiredLeaseIsTakenOverAndTheOldHolderCannotRenewIt() {
        S3Leases leases = leases();
        Lease old = leases.acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        clock.advance(LeaseOptions.DEFAULT_TTL.plusSeconds(1));
        List<String> warnings = new ArrayList<>();
        Lease taken = leases.acquire("web", "ci#2", "op-2", LeaseOptions.defaults(), warnings::add);
        assertThat(taken.holder()).isEqualTo("ci#2");
        assertThat(warnings).anyMatch(w -> w.contains("expired lease") && w.contains("ci#1"));
        assertThatThrownBy(() -> leases.renew(old, Duration.ofMinutes(2))).hasMessageContaining("now held by ci#2");
        leases.release(old); // not ours any more: left alone
        assertThat(leases.read("web")).get().extracting(Lease::holder).isEqualTo("ci#2");
    }

    @Test
    void aLiveLeaseIsTakenOnlyWithForce() {
        S3Leases leases = leases();
        leases.acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        assertThatThrownBy(() -> leases.acquire("web", "ci#2", "op-2", LeaseOptions.defaults(), ProgressListener.NONE))
                .hasMessageContaining("Nothing was changed");
        Lease forced = leases.acquire("web", "ci#2", "op-2", new LeaseOptions(null, null, true), ProgressListener.NONE);
        assertThat(leases.read("web")).get().extracting(Lease::operationId).isEqualTo("op-2");
        leases.release(forced);
        assertThat(leases.read("web")).isEmpty();
    }

    @Test
    void waitForLeaseWaitsUntilTheHolderReleasesIt() {
        S3Leases leases = leases();
        Lease first = leases.acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        List<String> lines = new ArrayList<>();
        S3Leases waiting = new S3Leases(S3.client(), S3Layout.of(S3.bucket(), "", "shop"), clock, d -> {
            clock.advance(d);
            leases.release(first); // the other operation ends while we wait
        });
        Lease second = waiting.acquire("web", "ci#2", "op-2", new LeaseOptions(null, Duration.ofMinutes(5), false), lines::add);
        assertThat(second.holder()).isEqualTo("ci#2");
        assertThat(lines).singleElement().asString().contains("Waiting up to PT5M", "ci#1");
    }

    @Test
    void waitForLeaseGivesUpAfterItsTimeoutNamingTheHolder() {
        S3Leases leases = leases();
        leases.acquire("web", "ci#1", "op-1", new LeaseOptions(Duration.ofHours(1), null, false), ProgressListener.NONE);
        assertThatThrownBy(() -> leases.acquire("web", "ci#2", "op-2", new LeaseOptions(null, Duration.ofSeconds(30), false),
                ProgressListener.NONE)).hasMessageContaining("being changed by ci#1");
    }
}
