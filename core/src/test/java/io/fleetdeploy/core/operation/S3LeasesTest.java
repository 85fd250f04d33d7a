package io.fleetdeploy.core.operation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.TransientAwsErrors;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Leases against a real S3 protocol implementation (embedded S3Proxy honours If-None-Match / If-Match). */
class S3LeasesTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    private final TestClock clock = new TestClock();

    private S3Leases leases() {
        return new S3Leases(S3.client(), S3Layout.of(S3.bucket(), "", "shop"), clock);
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
    void acquireIsOneTryThatNeverWaitsAndFailsNamingTheHolder() {
        S3Leases leases = leases();
        Lease first = leases.acquire("web", "ci#1", "op-1", new LeaseOptions(Duration.ofHours(1), null, false), ProgressListener.NONE);

        // waitForLease is the runner's (tick by tick); acquire tries once, whatever the options say.
        assertThatThrownBy(() -> leases.acquire("web", "ci#2", "op-2", new LeaseOptions(null, Duration.ofMinutes(5), false),
                ProgressListener.NONE)).isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("Group web is being changed by ci#1 (operation op-1, lease valid until " + first.expires() + ")")
                .hasMessageContaining("Nothing was changed").hasMessageContaining("give waitForLease to wait for it");

        assertThat(leases.read("web")).get().extracting(Lease::etag).isEqualTo(first.etag());
    }

    @Test
    void oneTryAtALiveLeaseNamesItsHolderAndUntilWhenWithoutWaiting() {
        S3Leases leases = leases();
        Lease first = leases.acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);

        LeaseAttempt attempt = leases.tryAcquire("web", "ci#2", "op-2", new LeaseOptions(null, Duration.ofMinutes(5), false),
                ProgressListener.NONE);

        assertThat(attempt.held()).isFalse();
        assertThat(attempt.heldBy().holder()).isEqualTo("ci#1");
        assertThat(attempt.heldBy().operationId()).isEqualTo("op-1");
        assertThat(attempt.heldBy().expires()).isEqualTo(first.expires());
        assertThat(leases.read("web")).get().extracting(Lease::etag).isEqualTo(first.etag());
    }

    // The runner's tick-wise wait: nothing of the waiting operation is written until it holds the lease.

    @Test
    void aStartWaitsForTheLeaseTickByTickAndStartsOnceTheHolderReleasesIt() {
        S3Leases leases = leases();
        Lease first = leases.acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        List<String> lines = new ArrayList<>();
        OperationRunner runner = runner("ci#2", new LeaseOptions(null, Duration.ofMinutes(5), false), lines);

        OperationRunner.Session<?, ?> second = runner.start(new Noop(), m -> { }, new Noop.State("web"), OnFailure.ROLLBACK, new AbortSignal());

        assertThat(second.waitingForLease()).isTrue();
        assertThat(second.waitingFor()).contains("the lease on group web held by ci#1 (operation op-1");
        assertThat(store().find(second.id())).as("nothing written before the lease is held").isEmpty();
        for (int i = 0; i < 3; i++) {
            Duration wait = second.tick();
            assertThat(wait).as("looks again after the poll interval").isEqualTo(Duration.ofSeconds(5));
            clock.advance(wait);
        }
        assertThat(lines).as("said once, not per look").filteredOn(l -> l.startsWith("Waiting")).singleElement().asString()
                .contains("Waiting up to PT5M for the lease on group web held by ci#1 (operation op-1).");
        assertThat(store().find(second.id())).isEmpty();

        leases.release(first);
        assertThat(second.tick()).isEqualTo(Duration.ZERO);

        assertThat(second.waitingForLease()).isFalse();
        assertThat(leases.read("web")).get().extracting(Lease::holder).isEqualTo("ci#2");
        assertThat(store().load(second.id()).status()).isEqualTo(OperationStatus.RUNNING);
        assertThat(lines).anyMatch(l -> l.equals("[" + second.id() + "] started by ci#2."));
        assertThat(second.runToEnd().status()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(leases.read("web")).as("released at the end").isEmpty();
    }

    @Test
    void aWaitSaysWhoItWaitsForOncePerHolderWhenTheLeasePassesToAnotherOperation() {
        S3Leases leases = leases();
        Lease first = leases.acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        List<String> lines = new ArrayList<>();
        OperationRunner.Session<?, ?> waiting = runner("ci#2", new LeaseOptions(null, Duration.ofMinutes(5), false), lines)
                .start(new Noop(), m -> { }, new Noop.State("web"), OnFailure.ROLLBACK, new AbortSignal());
        clock.advance(waiting.tick());

        leases.release(first);
        Lease third = leases.acquire("web", "ci#3", "op-3", LeaseOptions.defaults(), ProgressListener.NONE); // another operation got in first
        for (int i = 0; i < 3; i++) {
            clock.advance(waiting.tick());
        }

        assertThat(lines).filteredOn(l -> l.startsWith("Waiting")).containsExactly(
                "Waiting up to PT5M for the lease on group web held by ci#1 (operation op-1).",
                "Waiting up to PT5M for the lease on group web held by ci#3 (operation op-3).");
        assertThat(waiting.waitingFor()).contains("held by ci#3 (operation op-3");
        assertThat(store().list()).as("nothing written while it waits").isEmpty();

        leases.release(third);
        assertThat(waiting.tick()).isEqualTo(Duration.ZERO);
        assertThat(waiting.runToEnd().status()).isEqualTo(OperationStatus.SUCCEEDED);
        assertThat(leases.read("web")).as("released at the end").isEmpty();
    }

    @Test
    void aWaitPastItsBoundFailsNamingTheHolderAndWritesNothing() {
        S3Leases leases = leases();
        leases.acquire("web", "ci#1", "op-1", new LeaseOptions(Duration.ofHours(1), null, false), ProgressListener.NONE);
        OperationRunner.Session<?, ?> second = runner("ci#2", new LeaseOptions(null, Duration.ofSeconds(12), false), new ArrayList<>())
                .start(new Noop(), m -> { }, new Noop.State("web"), OnFailure.ROLLBACK, new AbortSignal());

        assertThat(second.tick()).isEqualTo(Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(10));
        assertThat(second.tick()).as("no later than the bound").isEqualTo(Duration.ofSeconds(2));
        clock.advance(Duration.ofSeconds(2));
        assertThatThrownBy(second::tick).isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("Group web is being changed by ci#1 (operation op-1").hasMessageContaining("Nothing was changed");

        assertThat(store().list()).as("no operation record").isEmpty();
        assertThat(leases.read("web")).get().extracting(Lease::holder).isEqualTo("ci#1");
    }

    @Test
    void withoutWaitForLeaseAStartFailsAtOnceNamingTheHolder() {
        leases().acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        OperationRunner runner = runner("ci#2", LeaseOptions.defaults(), new ArrayList<>());

        assertThatThrownBy(() -> runner.start(new Noop(), m -> { }, new Noop.State("web"), OnFailure.ROLLBACK, new AbortSignal()))
                .hasMessageContaining("being changed by ci#1 (operation op-1").hasMessageContaining("Nothing was changed");
        assertThat(store().list()).isEmpty();
    }

    @Test
    void aWaitStoppedByAnAbortEndsHavingWrittenNothing() {
        S3Leases leases = leases();
        leases.acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        AbortSignal abort = new AbortSignal();
        OperationRunner.Session<?, ?> second = runner("ci#2", new LeaseOptions(null, Duration.ofMinutes(5), false), new ArrayList<>())
                .start(new Noop(), m -> { }, new Noop.State("web"), OnFailure.ROLLBACK, abort);
        second.tick();

        abort.request("aborted in Jenkins");

        assertThatThrownBy(second::tick).hasMessageContaining("stopped (aborted in Jenkins) while it waited for the lease on group web held by ci#1")
                .hasMessageContaining("Nothing was changed");
        assertThat(store().list()).isEmpty();
        assertThat(leases.read("web")).get().extracting(Lease::holder).isEqualTo("ci#1");
    }

    @Test
    void anExpiredLeaseIsTakenOverByAWaitingStartAtItsExpiry() {
        S3Leases leases = leases();
        Lease first = leases.acquire("web", "ci#1", "op-1", new LeaseOptions(Duration.ofSeconds(7), null, false), ProgressListener.NONE);
        List<String> lines = new ArrayList<>();
        OperationRunner.Session<?, ?> second = runner("ci#2", new LeaseOptions(null, Duration.ofMinutes(5), false), lines)
                .start(new Noop(), m -> { }, new Noop.State("web"), OnFailure.ROLLBACK, new AbortSignal());

        clock.advance(second.tick());
        assertThat(second.tick()).as("looks again when the holder's lease expires").isEqualTo(Duration.between(clock.instant(), first.expires()));
        clock.advance(Duration.ofSeconds(2));

        assertThat(second.tick()).isEqualTo(Duration.ZERO);
        assertThat(lines).anyMatch(l -> l.contains("Taking over the expired lease on group web held by ci#1"));
        assertThat(leases.read("web")).get().extracting(Lease::holder).isEqualTo("ci#2");
    }

    @Test
    void aLiveLeaseIsTakenByAStartOnlyWithForce() {
        leases().acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        List<String> lines = new ArrayList<>();

        OperationRunner.Session<?, ?> forced = runner("operator", new LeaseOptions(null, null, true), lines)
                .start(new Noop(), m -> { }, new Noop.State("web"), OnFailure.ROLLBACK, new AbortSignal());

        assertThat(forced.waitingForLease()).isFalse();
        assertThat(lines).anyMatch(l -> l.contains("Taking over the live lease on group web held by ci#1 for operation op-1"));
        assertThat(leases().read("web")).get().extracting(Lease::holder).isEqualTo("operator");
    }

    @Test
    void aWaitSavedAndTakenUpByAnotherProcessKeepsItsBound() throws Exception {
        leases().acquire("web", "ci#1", "op-1", new LeaseOptions(Duration.ofHours(1), null, false), ProgressListener.NONE);
        OperationRunner.Session<?, ?> waiting = runner("ci#2", new LeaseOptions(null, Duration.ofMinutes(1), false), new ArrayList<>())
                .start(new Noop(), m -> { }, new Noop.State("web"), OnFailure.ROLLBACK, new AbortSignal());
        PendingStart saved = roundTrip(waiting.pendingStart().orElseThrow());
        clock.advance(Duration.ofSeconds(50));

        OperationRunner.Session<?, ?> taken = runner("ci#2", new LeaseOptions(null, Duration.ofMinutes(1), false), new ArrayList<>())
                .continueStart(saved, new NoopCatalog(), new AbortSignal());

        assertThat(taken.id()).isEqualTo(waiting.id());
        assertThat(taken.waitingForLease()).isTrue();
        assertThat(taken.tick()).as("the bound of the first wait, not a new minute").isEqualTo(Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(10));
        assertThatThrownBy(taken::tick).hasMessageContaining("being changed by ci#1");
        assertThat(store().list()).isEmpty();
    }

    private OperationStore store() {
        return new OperationStore(S3.client(), S3Layout.of(S3.bucket(), "", "shop"), io.fleetdeploy.core.Json.mapper());
    }

    private OperationRunner runner(String holder, LeaseOptions lease, List<String> lines) {
        ProgressListener progress = lines::add;
        return new OperationRunner(store(), leases(), clock, clock.sleeper(), progress,
                new RunnerSettings(Duration.ofSeconds(5), lease, holder));
    }

    @Test
    void aTransientS3ErrorWhileWaitingForTheLeaseIsTriedAgainAndWritesNothing() {
        S3Leases leases = leases();
        Lease first = leases.acquire("web", "ci#1", "op-1", LeaseOptions.defaults(), ProgressListener.NONE);
        AtomicInteger slowDowns = new AtomicInteger();
        S3Client throttled = S3Client.builder().endpointOverride(S3.endpoint()).region(S3.region()).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3.accessKey(), S3.secretKey())))
                .overrideConfiguration(c -> c.addExecutionInterceptor(new ExecutionInterceptor() {
                    @Override
                    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                        if (context.request() instanceof PutObjectRequest put && put.key().contains("leases/")
                                && slowDowns.getAndDecrement() > 0) {
                            throw S3Exception.builder().statusCode(503).message("Slow Down").build();
                        }
                    }
                })).build();
        try (throttled) {
            List<String> lines = new ArrayList<>();
            OperationRunner runner = new OperationRunner(store(), new S3Leases(throttled, S3Layout.of(S3.bucket(), "", "shop"), clock),
                    clock, clock.sleeper(), lines::add, new RunnerSettings(Duration.ofSeconds(5), new LeaseOptions(null, Duration.ofMinutes(5), false), "ci#2"),
                    ApiCalls.NONE, new TransientAwsErrors());
            OperationRunner.Session<?, ?> second = runner.start(new Noop(), m -> { }, new Noop.State("web"), OnFailure.ROLLBACK, new AbortSignal());
            leases.release(first);
            slowDowns.set(1);

            assertThat(second.tick()).as("backs off like any tick that met a transient error").isEqualTo(Duration.ofSeconds(1));
            assertThat(second.waitingForLease()).isTrue();
            assertThat(store().list()).as("nothing written while it waits for the lease").isEmpty();
            assertThat(lines).anyMatch(l -> l.contains("transient AWS error") && l.contains("Slow Down"));

            assertThat(second.tick()).isEqualTo(Duration.ZERO);
            assertThat(leases.read("web")).get().extracting(Lease::holder).isEqualTo("ci#2");
            assertThat(second.runToEnd().status()).isEqualTo(OperationStatus.SUCCEEDED);
            assertThat(leases.read("web")).as("released at the end").isEmpty();
        }
    }

    private static PendingStart roundTrip(PendingStart pending) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(pending);
        }
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            return (PendingStart) in.readObject();
        }
    }

    /** An operation that succeeds on its first observation: what matters here is only its lease. */
    static final class Noop implements OperationDefinition<Noop.State, String> {
        record State(String group) {
        }

        @Override
        public String kind() {
            return "noop";
        }

        @Override
        public Class<State> stateType() {
            return State.class;
        }

        @Override
        public String group(State state) {
            return state.group();
        }

        @Override
        public String observe(State state) {
            return "nothing to see";
        }

        @Override
        public Transition<State> next(State state, String observation, java.time.Instant now) {
            return Transition.done(state, "done");
        }
    }

    static final class NoopCatalog implements OperationCatalog {
        @Override
        public OperationDefinition<?, ?> definition(String kind) {
            return new Noop();
        }

        @Override
        public Effects effects() {
            return m -> { };
        }
    }
}
