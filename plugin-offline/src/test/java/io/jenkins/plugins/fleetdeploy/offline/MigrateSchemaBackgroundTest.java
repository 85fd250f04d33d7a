package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.DatabaseServers;
import io.fleetdeploy.core.testing.TestDatabase;
import io.jenkins.plugins.fleetdeploy.BackgroundWork;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TestUsernamePassword;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * migrateSchema runs the migration on the plugin's own background threads, not on
 * jenkins.util.Timer; a controller restart mid-migration runs it again and the step succeeds with
 * every migration applied once; a stop mid-migration cancels it on the database and says where the
 * database was left. Real PostgreSQL. The migration V2 blocks on an advisory lock the test holds, so
 * "mid-migration" is a state the test waits for, not a moment it guesses.
 */
@ExtendWith(DatabaseServers.class)
class MigrateSchemaBackgroundTest {

    /** The key of the advisory lock the test holds while V2 waits for it. */
    private static final int BLOCKER = 4242;

    @TempDir
    Path dir;

    private static String pipeline(TestDatabase db) {
        return "node {\n"
                + "  writeFile file: 'db/migration/V1__orders.sql', text: 'create table orders (id int primary key);'\n"
                // A column, then a wait for the test's lock, then an index: stopped or cut off in the middle, V2 must leave nothing.
                + "  writeFile file: 'db/migration/V2__order_total.sql', text: 'alter table orders add column total int;\\n"
                + "select pg_advisory_xact_lock(" + BLOCKER + ");\\ncreate index orders_total on orders (total);'\n"
                + "  def m = migrateSchema migrations: 'db/migration', app: 'shop', jdbcUrl: '" + db.jdbcUrl()
                + "', databaseCredentialsId: 'db'\n"
                + "  echo \"before ${m.versionBefore} applied ${m.applied} pending ${m.pending} now ${m.versionAfter}\"\n"
                + "}\n";
    }

    private PipelineHarness jenkins(TestDatabase db) {
        return new PipelineHarness(dir).stepTimeout(Duration.ofMinutes(2))
                .credentials(new TestUsernamePassword("db", db.user(), db.password()));
    }

    @Test
    void migratesOnABackgroundThreadNotOnTheTimer(DatabaseServers.Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        try (Connection blocker = holdBlocker(db)) {
            PipelineHarness.Running running = jenkins(db).start(pipeline(db), Map.of());
            awaitV2Blocked(db);

            List<String> migrating = threadsIn("io.fleetdeploy.core.schema.SchemaMigrator");
            assertThat(migrating).as("the threads running the migration").isNotEmpty()
                    .allMatch(name -> name.startsWith(BackgroundWork.THREAD_NAME), "are fleet-deploy background threads")
                    .noneMatch(name -> name.startsWith("jenkins.util.Timer"));
            assertThat(migrateStatus(running)).hasValueSatisfying(status ->
                    assertThat(status).contains("migrating").contains("in thread " + BackgroundWork.THREAD_NAME));

            release(blocker);
            BuildResult build = running.result().get(2, TimeUnit.MINUTES);
            assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
            assertThat(build.log()).contains("before null applied [1, 2] pending [1, 2] now 2").doesNotContain(db.password());
        }
        assertThat(history(db)).containsExactly("1 true", "2 true");
    }

    @Test
    void aRestartMidMigrationRunsItAgainAndEveryMigrationIsAppliedOnce(DatabaseServers.Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        try (Connection blocker = holdBlocker(db)) {
            PipelineHarness.Running running = jenkins(db).start(pipeline(db), Map.of());
            awaitV2Blocked(db);

            List<StepExecution> resumed = running.build().restartController();

            assertThat(resumed).hasSize(1);
            // The old controller's V2 was cancelled and rolled back; the re-run applies it and waits for the lock like the first.
            awaitV2Blocked(db);
            assertThat(history(db)).as("V2 not applied while it waits").containsExactly("1 true");
            release(blocker);

            BuildResult build = running.result().get(2, TimeUnit.MINUTES);
            assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
            assertThat(build.log()).contains("Jenkins restarted during the migration: running it again")
                    .contains("migrateSchema re-ran the migration after a controller restart: schema (empty) -> 2, 2 applied")
                    .as("the result is that of the whole step, not of the re-run alone")
                    .contains("before null applied [1, 2] pending [1, 2] now 2")
                    .doesNotContain(db.password());
        }
        assertThat(history(db)).as("each migration applied exactly once, none failed").containsExactly("1 true", "2 true");
        assertThat(db.queryValue("select count(*) from pg_indexes where indexname = 'orders_total'")).isEqualTo(1L);
        assertNoMigrationSessionLeft(db);
    }

    @Test
    void afterARestartTheReRunWaitsUntilTheOldControllersSessionIsGone(DatabaseServers.Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        try (Connection blocker = holdBlocker(db); Connection oldControllersSession = db.connect()) {
            PipelineHarness.Running running = jenkins(db).start(pipeline(db), Map.of());
            awaitV2Blocked(db);
            // A controller that died without closing its connections leaves its session on the server, holding the
            // migration lock until the server notices. Stand-in: a session queued for that lock (core's MigrationLock
            // name), which gets it the moment the old controller's cancelled migration lets go.
            CompletableFuture<Void> lockTaken = CompletableFuture.runAsync(() -> query(oldControllersSession,
                    "select pg_advisory_lock(hashtext('fleet-deploy migrate flyway_schema_history'))"));
            Await.until("the stand-in session queues for the migration lock", Duration.ofMinutes(1), () -> count(db,
                    "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
                            + " and query like '%fleet-deploy migrate%'") == 1);

            running.build().restartController();
            lockTaken.get(1, TimeUnit.MINUTES);

            Await.until("the re-run waits for the migration lock", Duration.ofMinutes(1), () -> running.build().log().text()
                    .contains("Another migration of the PostgreSQL database " + db.name() + " at 127.0.0.1:" + db.port()
                            + " is running: waiting up to 600 s for it to finish"));
            assertThat(history(db)).as("nothing more applied while the old session holds the lock").containsExactly("1 true");
            release(blocker);
            oldControllersSession.close(); // the server drops the session and its lock with it

            BuildResult build = running.result().get(2, TimeUnit.MINUTES);
            assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
            assertThat(build.log()).contains("migrateSchema re-ran the migration after a controller restart: schema (empty) -> 2")
                    .contains("before null applied [1, 2] pending [1, 2] now 2");
        }
        assertThat(history(db)).as("each migration applied exactly once, none failed").containsExactly("1 true", "2 true");
        assertNoMigrationSessionLeft(db);
    }

    @Test
    void aStopMidMigrationCancelsItAndSaysWhereTheDatabaseWasLeft(DatabaseServers.Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        try (Connection blocker = holdBlocker(db)) {
            PipelineHarness.Running running = jenkins(db).start(pipeline(db), Map.of());
            awaitV2Blocked(db);

            running.build().abort();

            BuildResult build = running.result().get(2, TimeUnit.MINUTES);
            assertThat(build.result()).as(build.log()).isEqualTo("ABORTED");
            assertThat(build.log()).contains("Stopping migrateSchema: cancelling the statement running on the database")
                    .contains("migrateSchema was stopped while migrating: Migration V2__order_total.sql failed")
                    .contains("The database was left at version 1.")
                    .contains("PostgreSQL rolled the failed migration back: nothing of V2__order_total.sql remains.")
                    .contains("Run migrateSchema again to apply the migrations still pending.")
                    .doesNotContain(db.password());
        }
        // Nothing of V2 is left: not its column, not a history row; no session of the migration still runs.
        assertThat(history(db)).containsExactly("1 true");
        assertThat(db.queryValue("select count(*) from information_schema.columns where table_name = 'orders'"
                + " and column_name = 'total'")).isEqualTo(0L);
        assertNoMigrationSessionLeft(db);
    }

    /** A session of the test holding the advisory lock V2 waits for. */
    private static Connection holdBlocker(TestDatabase db) throws SQLException {
        Connection connection = db.connect();
        try (Statement statement = connection.createStatement()) {
            statement.execute("select pg_advisory_lock(" + BLOCKER + ")");
        }
        return connection;
    }

    private static void release(Connection blocker) throws SQLException {
        try (Statement statement = blocker.createStatement()) {
            statement.execute("select pg_advisory_unlock(" + BLOCKER + ")");
        }
    }

    private static void awaitV2Blocked(TestDatabase db) {
        Await.until("V2 waits on the database for the test's lock", Duration.ofMinutes(1), () ->
                count(db, "select count(*) from pg_stat_activity where datname = current_database()"
                        + " and wait_event_type = 'Lock' and query like '%pg_advisory_xact_lock(" + BLOCKER + ")%'") == 1);
    }

    /** No session of ours (other than this check's) is left in the database: the migration and its lock are gone. */
    private static void assertNoMigrationSessionLeft(TestDatabase db) throws Exception {
        Await.until("no migration session is left on the database", Duration.ofSeconds(30), () ->
                count(db, "select count(*) from pg_stat_activity where datname = current_database()"
                        + " and pid <> pg_backend_pid()") == 0);
        assertThat(db.queryValue("select count(*) from pg_locks where locktype = 'advisory'"
                + " and database = (select oid from pg_database where datname = current_database())")).isEqualTo(0L);
    }

    private static void query(Connection connection, String sql) {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed: " + e.getMessage(), e);
        }
    }

    private static long count(TestDatabase db, String query) {
        try {
            return ((Number) db.queryValue(query)).longValue();
        } catch (SQLException e) {
            throw new IllegalStateException("Querying " + db + " failed: " + e.getMessage(), e);
        }
    }

    /** flyway_schema_history as "version success", in order of installation. */
    private static List<String> history(TestDatabase db) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = db.connect();
             ResultSet result = connection.createStatement().executeQuery(
                     "select version, success from flyway_schema_history order by installed_rank")) {
            while (result.next()) {
                rows.add(result.getString(1) + " " + result.getBoolean(2));
            }
        }
        return rows;
    }

    private static Optional<String> migrateStatus(PipelineHarness.Running running) {
        return running.build().running().values().stream()
                .filter(e -> e.getClass().getName().contains("MigrateSchemaStep"))
                .map(StepExecution::getStatus).findFirst();
    }

    /** The names of the threads with a frame of {@code className} on their stack. */
    private static List<String> threadsIn(String className) {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> Arrays.stream(e.getValue()).anyMatch(frame -> frame.getClassName().equals(className)))
                .map(e -> e.getKey().getName()).toList();
    }
}
