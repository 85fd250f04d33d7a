package io.fleetdeploy.core.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.testing.DatabaseServers;
import io.fleetdeploy.core.testing.DatabaseServers.Databases;
import io.fleetdeploy.core.testing.RecordingProgress;
import io.fleetdeploy.core.testing.TestDatabase;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.sandbox.runtime.JdbcSchemaKeySource;
import io.fleetdeploy.sandbox.runtime.SchemaKeySource;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** flipSchemaKey, get and history against a real PostgreSQL and a real MariaDB. */
@ExtendWith(DatabaseServers.class)
class SchemaKeyStoreTest {

    private static final String BUILD = "https://ci.example.com/job/shop/42/";

    private final RdsDatabases rds = RdsDatabases.of(AwsSettings.defaults());
    private final RecordingProgress progress = new RecordingProgress();

    @AfterEach
    void closeRds() {
        rds.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void theFirstKeyNeedsExpectUnsetAndFlipsAreRecordedBothWays(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        SchemaKeyStore store = store(db, SchemaKeyTables.DEFAULT);
        assertThat(store.get("shop")).isEmpty();
        assertThat(store.history("shop", 10)).isEmpty();

        assertThatThrownBy(() -> store.flip(new FlipRequest("shop", KeyExpectation.is("k0"), "k1", BUILD, null), progress))
                .hasMessageContaining("the key is not set, expected 'k0'")
                .hasMessageContaining("--expect-unset");
        Instant before = Instant.now().minusSeconds(60);
        SchemaKeyChange first = store.flip(new FlipRequest("shop", KeyExpectation.unset(), "k1", BUILD, "first deploy"), progress);
        assertThat(first.fromKey()).isNull();
        assertThat(first.toKey()).isEqualTo("k1");

        store.flip(new FlipRequest("shop", KeyExpectation.is("k1"), "k2", BUILD, "release 2.0"), progress);
        SchemaKeyChange back = store.flip(new FlipRequest("shop", KeyExpectation.is("k2"), "k1", "alice@laptop", "roll back"), progress);
        assertThat(back.fromKey()).isEqualTo("k2");

        SchemaKeyState now = store.get("shop").orElseThrow();
        assertThat(now.schemaKey()).isEqualTo("k1");
        assertThat(now.updatedBy()).isEqualTo("alice@laptop");
        assertThat(now.note()).isEqualTo("roll back");
        assertThat(now.updatedAt()).isAfter(before).isBefore(Instant.now().plusSeconds(60));

        List<SchemaKeyChange> history = store.history("shop", 10);
        assertThat(history).extracting(SchemaKeyChange::fromKey, SchemaKeyChange::toKey, SchemaKeyChange::changedBy)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("k2", "k1", "alice@laptop"),
                        org.assertj.core.groups.Tuple.tuple("k1", "k2", BUILD),
                        org.assertj.core.groups.Tuple.tuple(null, "k1", BUILD));
        assertThat(history).allSatisfy(c -> assertThat(c.changedAt()).isAfter(before));
        assertThat(history.get(0).changedAt()).isAfterOrEqualTo(history.get(2).changedAt());
        assertThat(history).noneMatch(SchemaKeyChange::forced);
        assertThat(store.history("shop", 1)).hasSize(1);
        assertThat(store.history("other-app", 10)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void aStaleExpectFailsWithTheActualKeyAndChangesNothing(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        SchemaKeyStore store = store(db, SchemaKeyTables.DEFAULT);
        store.flip(new FlipRequest("shop", KeyExpectation.unset(), "k1", BUILD, null), progress);
        store.flip(new FlipRequest("shop", KeyExpectation.is("k1"), "k2", BUILD, null), progress);

        FleetDeployException stale = catchThrowableOfType(FleetDeployException.class,
                () -> store.flip(new FlipRequest("shop", KeyExpectation.is("k1"), "k3", BUILD, null), progress));

        assertThat(stale.whatFailed()).contains("the key is 'k2', expected 'k1'");
        assertThat(stale.leftUnchanged()).isEqualTo("Nothing was changed.");
        assertThat(store.get("shop").orElseThrow().schemaKey()).isEqualTo("k2");
        assertThat(store.history("shop", 10)).hasSize(2);
        assertThatThrownBy(() -> store.flip(new FlipRequest("shop", KeyExpectation.unset(), "k3", BUILD, null), progress))
                .hasMessageContaining("the key is 'k2', expected none");
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void ofFiftyConcurrentFlipsFromTheSameKeyExactlyOneWins(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        // Fresh, configurable table names: the 50 first flips below also race to create them.
        SchemaKeyTables tables = SchemaKeyTables.named("deploy_key");
        SchemaKeyStore store = store(db, tables);

        List<Outcome> firsts = race(50, i -> store.flip(new FlipRequest("shop", KeyExpectation.unset(), "first-" + i, BUILD, null), progress));
        assertThat(firsts).filteredOn(o -> o.change != null).hasSize(1);
        String first = store.get("shop").orElseThrow().schemaKey();
        assertThat(firsts).filteredOn(o -> o.failure != null)
                .allSatisfy(o -> assertThat(o.failure.whatFailed()).contains("the key is '" + first + "', expected none"));

        List<Outcome> flips = race(50, i -> store.flip(new FlipRequest("shop", KeyExpectation.is(first), "k2-" + i, BUILD, null), progress));

        List<Outcome> winners = flips.stream().filter(o -> o.change != null).toList();
        assertThat(winners).hasSize(1);
        String winner = winners.get(0).change.toKey();
        assertThat(flips).filteredOn(o -> o.failure != null).hasSize(49)
                .allSatisfy(o -> assertThat(o.failure.whatFailed()).contains("the key is '" + winner + "', expected '" + first + "'"));
        assertThat(store.get("shop").orElseThrow().schemaKey()).isEqualTo(winner);
        assertThat(store.history("shop", 1000)).extracting(SchemaKeyChange::toKey).containsExactly(winner, first);
        assertThat(db.hasTable("deploy_key")).isTrue();
        assertThat(db.hasTable("deploy_key_history")).isTrue();
        assertThat(db.hasTable("fleet_schema_key")).isFalse();
    }

    @Test
    void postgresqlListenersAreNotifiedInTheFlipsTransaction(Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase("postgres");
        SchemaKeyStore store = store(db, SchemaKeyTables.DEFAULT);
        store.flip(new FlipRequest("shop", KeyExpectation.unset(), "k1", BUILD, null), progress);

        try (Connection listener = db.connect(); Statement statement = listener.createStatement()) {
            statement.execute("LISTEN " + SchemaKeyStore.NOTIFY_CHANNEL);
            PGConnection pg = listener.unwrap(PGConnection.class);

            store.flip(new FlipRequest("shop", KeyExpectation.is("k1"), "k2", BUILD, null), progress);
            PGNotification[] received = pg.getNotifications(10_000);

            assertThat(received).hasSize(1);
            assertThat(received[0].getName()).isEqualTo("fleet_schema_key");
            assertThat(received[0].getParameter()).isEqualTo("{\"app\":\"shop\",\"schemaKey\":\"k2\",\"previous\":\"k1\"}");

            // A refused flip rolls back, and its notification with it.
            assertThatThrownBy(() -> store.flip(new FlipRequest("shop", KeyExpectation.is("k1"), "k3", BUILD, null), progress))
                    .isInstanceOf(FleetDeployException.class);
            assertThat(pg.getNotifications(500)).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void forceOverridesWhateverTheKeyIsAndIsRecordedAsForced(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        SchemaKeyStore store = store(db, SchemaKeyTables.DEFAULT);
        store.flip(new FlipRequest("shop", KeyExpectation.force(), "k1", BUILD, "bootstrap"), progress);
        store.flip(new FlipRequest("shop", KeyExpectation.force(), "k9", "ops@bastion", "incident 17"), progress);

        assertThat(store.get("shop").orElseThrow().schemaKey()).isEqualTo("k9");
        assertThat(store.history("shop", 10)).extracting(SchemaKeyChange::fromKey, SchemaKeyChange::forced)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("k1", true), org.assertj.core.groups.Tuple.tuple(null, true));
    }

    @Test
    void badInputIsRefusedBeforeAnyTableIsCreated(Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase("postgres");
        SchemaKeyStore store = store(db, SchemaKeyTables.DEFAULT);

        assertThatThrownBy(() -> store.flip(new FlipRequest("shop", KeyExpectation.unset(), "bad key!", BUILD, null), progress))
                .hasMessageContaining("schema key 'bad key!' is not allowed");
        assertThatThrownBy(() -> store.flip(new FlipRequest("shop", KeyExpectation.is("../k1"), "k2", BUILD, null), progress))
                .hasMessageContaining("expected schema key '../k1' is not allowed");
        assertThatThrownBy(() -> store.flip(new FlipRequest("shop", null, "k2", BUILD, null), progress))
                .hasMessageContaining("No expected schema key");
        assertThatThrownBy(() -> store.flip(new FlipRequest("shop", KeyExpectation.is("k2"), "k2", BUILD, null), progress))
                .hasMessageContaining("would change nothing");
        assertThatThrownBy(() -> store.flip(new FlipRequest("shop", KeyExpectation.unset(), "k2", " ", null), progress))
                .hasMessageContaining("changedBy");
        assertThatThrownBy(() -> SchemaKeyTables.named("keys; DROP TABLE x"))
                .hasMessageContaining("table name 'keys; DROP TABLE x' is not allowed");
        assertThat(db.hasTable("fleet_schema_key")).isFalse();
    }

    /**
     * The sandbox app's request (JdbcSchemaKeySource.hold: the key row read FOR SHARE / LOCK IN SHARE MODE, held
     * while the request is served) against the real flip: the flip waits until that request is done, and the
     * next request reads the new key. This is what makes the demo's push and blue/green skew-free.
     */
    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void aFlipWaitsUntilRequestsServedUnderTheOldKeyAreDone(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        SchemaKeyStore store = store(db, SchemaKeyTables.DEFAULT);
        store.flip(new FlipRequest("shop", KeyExpectation.unset(), "k1", BUILD, null), progress);
        ExecutorService flipper = Executors.newSingleThreadExecutor();
        try (JdbcSchemaKeySource keys = new JdbcSchemaKeySource(db.jdbcUrl(), db.user(), db.password(), "fleet_schema_key",
                Duration.ofMinutes(5))) {
            SchemaKeySource.KeyHold request = keys.hold("shop").get(30, TimeUnit.SECONDS);
            assertThat(request.key()).hasValue("k1");
            Future<SchemaKeyChange> flip = flipper.submit(() -> store.flip(new FlipRequest("shop", KeyExpectation.is("k1"), "k2", BUILD,
                    null), progress));
            Await.until("the flip waits on the key row the request holds", Duration.ofSeconds(30), () -> flipWaitsOnALock(db));
            assertThat(flip).isNotDone();
            assertThat(store.get("shop").orElseThrow().schemaKey()).isEqualTo("k1");

            request.close();
            assertThat(flip.get(30, TimeUnit.SECONDS).toKey()).isEqualTo("k2");
            try (SchemaKeySource.KeyHold next = keys.hold("shop").get(30, TimeUnit.SECONDS)) {
                assertThat(next.key()).hasValue("k2");
            }
        } finally {
            flipper.shutdownNow();
        }
    }

    /** PostgreSQL lists a lock wait in pg_locks; MariaDB shows the flip's locking read still running (own threads need no privilege). */
    private static boolean flipWaitsOnALock(TestDatabase db) {
        String sql = db.engine().equals("postgres") ? "SELECT count(*) FROM pg_locks WHERE NOT granted"
                : "SELECT count(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO LIKE 'SELECT schema_key FROM%'";
        try {
            return ((Number) db.queryValue(sql)).longValue() > 0;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private SchemaKeyStore store(TestDatabase db, SchemaKeyTables tables) {
        DatabaseTarget target = DatabaseTarget.jdbc(db.jdbcUrl(), db.user(), Secret.of(db.password()));
        return new SchemaKeyStore(new DatabaseConnector(rds).connect(target, progress), tables);
    }

    private record Outcome(SchemaKeyChange change, FleetDeployException failure) {
    }

    @FunctionalInterface
    private interface Flip {
        SchemaKeyChange run(int index);
    }

    /** Starts {@code count} flips at the same moment, each on its own thread and connection. */
    private static List<Outcome> race(int count, Flip flip) throws InterruptedException, ExecutionException {
        ExecutorService pool = Executors.newFixedThreadPool(count);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Outcome>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    try {
                        return new Outcome(flip.run(index), null);
                    } catch (FleetDeployException e) {
                        return new Outcome(null, e);
                    }
                }));
            }
            start.countDown();
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> future : futures) {
                try {
                    outcomes.add(future.get(60, TimeUnit.SECONDS));
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("a flip did not finish within 60 s", e);
                }
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }
}
