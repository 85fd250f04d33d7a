package io.fleetdeploy.core.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.schema.MigrateResult.AppliedMigration;
import io.fleetdeploy.core.schema.MigrateResult.PendingMigration;
import io.fleetdeploy.core.testing.DatabaseServers;
import io.fleetdeploy.core.testing.DatabaseServers.Databases;
import io.fleetdeploy.core.testing.RecordingProgress;
import io.fleetdeploy.core.testing.TestDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** migrateSchema against a real PostgreSQL and a real MariaDB (one server each per test run). */
@ExtendWith(DatabaseServers.class)
class SchemaMigratorTest {

    @TempDir
    Path migrations;

    private final RdsDatabases rds = RdsDatabases.of(AwsSettings.defaults());
    private final SchemaMigrator migrator = new SchemaMigrator(rds, ReleaseBundleSource.NONE, Clock.systemUTC());
    private final RecordingProgress progress = new RecordingProgress();

    @AfterEach
    void closeRds() {
        rds.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void appliesPendingMigrationsAndReportsTheVersionsBeforeAndAfter(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY, total INT);");
        write("V2__add_status.sql", "ALTER TABLE orders ADD COLUMN status VARCHAR(20);");

        MigrateResult first = migrator.migrate(request(db), progress);

        assertThat(first.dryRun()).isFalse();
        assertThat(first.applied()).extracting(AppliedMigration::version).containsExactly("1", "2");
        assertThat(first.applied()).extracting(AppliedMigration::script).containsExactly("V1__create_orders.sql", "V2__add_status.sql");
        assertThat(first.versionBefore()).isNull();
        assertThat(first.versionAfter()).isEqualTo("2");
        assertThat(first.duration()).isPositive();
        assertThat(first.snapshotId()).isNull();
        assertThat(first.database()).contains("127.0.0.1:" + db.port()).contains(db.name());
        db.queryValue("SELECT status FROM orders");

        write("V3__add_customer.sql", "ALTER TABLE orders ADD COLUMN customer VARCHAR(40);");
        MigrateResult second = migrator.migrate(request(db), progress);
        assertThat(second.applied()).extracting(AppliedMigration::script).containsExactly("V3__add_customer.sql");
        assertThat(second.versionBefore()).isEqualTo("2");
        assertThat(second.versionAfter()).isEqualTo("3");

        MigrateResult third = migrator.migrate(request(db), progress);
        assertThat(third.applied()).isEmpty();
        assertThat(third.versionBefore()).isEqualTo("3");
        assertThat(third.versionAfter()).isEqualTo("3");
        assertThat(Json.mapper().writeValueAsString(second)).doesNotContain(db.password());
        assertThat(progress.text()).contains("version 2 -> 3").doesNotContain(db.password());
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void dryRunListsPendingMigrationsAndChangesNothing(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY);");
        write("V2__create_invoices.sql", "CREATE TABLE invoices (id INT PRIMARY KEY);");

        MigrateResult result = migrator.migrate(request(db).withDryRun(true), progress);

        assertThat(result.dryRun()).isTrue();
        assertThat(result.applied()).isEmpty();
        assertThat(result.pending()).extracting(PendingMigration::version, PendingMigration::description, PendingMigration::script)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("1", "create orders", "V1__create_orders.sql"),
                        org.assertj.core.groups.Tuple.tuple("2", "create invoices", "V2__create_invoices.sql"));
        assertThat(result.pending()).allSatisfy(p -> assertThat(p.checksum()).isNotNull());
        assertThat(result.versionBefore()).isNull();
        assertThat(result.versionAfter()).isNull();
        assertThat(db.hasTable("orders")).isFalse();
        assertThat(db.hasTable("flyway_schema_history")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void aChangedAppliedMigrationStopsEverythingAndNamesTheFile(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY);");
        write("V2__create_invoices.sql", "CREATE TABLE invoices (id INT PRIMARY KEY);");
        migrator.migrate(request(db), progress);

        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY, extra INT);");
        write("V3__create_refunds.sql", "CREATE TABLE refunds (id INT PRIMARY KEY);");
        FleetDeployException failure = catchThrowableOfType(FleetDeployException.class,
                () -> migrator.migrate(request(db), progress));

        assertThat(failure.getMessage())
                .contains("V1__create_orders.sql (version 1) was changed after it was applied")
                .doesNotContain("V2__create_invoices.sql")
                .contains("Nothing was changed");
        assertThat(db.hasTable("refunds")).isFalse();
        assertThat(db.queryValue("SELECT COUNT(*) FROM flyway_schema_history WHERE success = " + trueLiteral(engine)))
                .hasToString("2");
        // A dry run validates as well: it must not report V3 as if all were fine.
        assertThatThrownBy(() -> migrator.migrate(request(db).withDryRun(true), progress))
                .hasMessageContaining("V1__create_orders.sql");
    }

    @Test
    void aFailedMigrationOnPostgresqlLeavesNothingOfItAndSaysWhere(Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase("postgres");
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY);");
        write("V2__create_refunds.sql", "CREATE TABLE refunds (id INT PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);");

        FleetDeployException failure = catchThrowableOfType(FleetDeployException.class,
                () -> migrator.migrate(request(db), progress));

        assertThat(failure.whatFailed()).contains("V2__create_refunds.sql").contains("no_such_table").contains("42P01");
        assertThat(failure.leftUnchanged()).contains("left at version 1").contains("nothing of V2__create_refunds.sql remains");
        assertThat(failure.getMessage()).doesNotContain(db.password());
        assertThat(db.hasTable("orders")).isTrue();
        assertThat(db.hasTable("refunds")).isFalse();
        assertThat(db.queryValue("SELECT COUNT(*) FROM flyway_schema_history WHERE version = '2'")).hasToString("0");
        assertThat(db.queryValue("SELECT MAX(version) FROM flyway_schema_history WHERE success")).isEqualTo("1");
    }

    @Test
    void aFailedMigrationOnMariaDbSaysWhatMayRemainAndIsMarkedFailed(Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase("mariadb");
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY);");
        write("V2__create_refunds.sql", "CREATE TABLE refunds (id INT PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);");

        FleetDeployException failure = catchThrowableOfType(FleetDeployException.class,
                () -> migrator.migrate(request(db), progress));

        assertThat(failure.whatFailed()).contains("V2__create_refunds.sql").contains("no_such_table");
        assertThat(failure.leftUnchanged()).contains("left at version 1").contains("cannot roll back DDL");
        assertThat(failure.whatToDo()).contains("delete its failed row from flyway_schema_history");
        // What the message warns about is what happened: DDL before the failing statement stayed.
        assertThat(db.hasTable("refunds")).isTrue();
        assertThat(db.queryValue("SELECT success FROM flyway_schema_history WHERE version = '2'")).isIn(false, 0, (byte) 0);
        // And the next run refuses to go on from a failed migration instead of re-running it.
        assertThatThrownBy(() -> migrator.migrate(request(db), progress))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("failed migration");
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void twoMigratorsAtOnceMigrateOnceAndTheOtherFindsNothingPending(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        String sleep = engine.equals("postgres") ? "SELECT pg_sleep(2);" : "SELECT SLEEP(2);";
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY);\n" + sleep);
        write("V2__create_invoices.sql", "CREATE TABLE invoices (id INT PRIMARY KEY);");

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<MigrateResult>> runs = List.of(
                    pool.submit(() -> {
                        start.await();
                        return new SchemaMigrator(rds, ReleaseBundleSource.NONE, Clock.systemUTC()).migrate(request(db), progress);
                    }),
                    pool.submit(() -> {
                        start.await();
                        return new SchemaMigrator(rds, ReleaseBundleSource.NONE, Clock.systemUTC()).migrate(request(db), progress);
                    }));
            start.countDown();
            MigrateResult a = runs.get(0).get(60, TimeUnit.SECONDS);
            MigrateResult b = runs.get(1).get(60, TimeUnit.SECONDS);

            List<MigrateResult> results = List.of(a, b);
            assertThat(results).filteredOn(r -> r.applied().size() == 2).hasSize(1);
            assertThat(results).filteredOn(r -> r.applied().isEmpty()).hasSize(1);
            assertThat(results).allSatisfy(r -> assertThat(r.versionAfter()).isEqualTo("2"));
            assertThat(db.queryValue("SELECT COUNT(*) FROM flyway_schema_history WHERE version IS NOT NULL")).hasToString("2");
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void aStopMidMigrationCancelsTheRunningStatementAndSaysWhereTheDatabaseWasLeft(String engine, Databases databases)
            throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        boolean postgres = engine.equals("postgres");
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY);\nINSERT INTO orders VALUES (1);");
        migrator.migrate(request(db), progress);
        // V2 creates a table, then waits for a row this test keeps locked: "mid-migration" is a state the test waits for.
        write("V2__create_invoices.sql", "CREATE TABLE invoices (id INT PRIMARY KEY);\nUPDATE orders SET id = 1 WHERE id = 1;");
        MigrationStop stop = new MigrationStop();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (java.sql.Connection blocker = db.connect(); java.sql.Statement hold = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            hold.executeQuery("SELECT id FROM orders WHERE id = 1 FOR UPDATE").close();
            Future<MigrateResult> run = pool.submit(() -> migrator.migrate(request(db), progress, stop));
            io.fleetdeploy.core.testing.Await.until("V2 waits for the row the test locked", java.time.Duration.ofMinutes(1), () -> {
                try {
                    return ((Number) db.queryValue(postgres
                            ? "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE orders%'"
                            : "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'UPDATE orders%'")).intValue() == 1;
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });

            stop.request();

            FleetDeployException failure = catchThrowableOfType(FleetDeployException.class, () -> {
                try {
                    run.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause();
                }
            });
            assertThat(failure.getMessage())
                    .contains("migrateSchema was stopped while migrating: Migration V2__create_invoices.sql failed")
                    .contains("The database was left at version 1.")
                    .contains(postgres ? "PostgreSQL rolled the failed migration back: nothing of V2__create_invoices.sql remains."
                            : "MariaDB/MySQL cannot roll back DDL")
                    .doesNotContain(db.password());
            blocker.rollback();
        } finally {
            pool.shutdownNow();
        }
        assertThat(db.queryValue("SELECT COUNT(*) FROM flyway_schema_history WHERE success")).hasToString("1");
        // PostgreSQL leaves nothing of V2; MariaDB keeps its DDL and a failed row, as the message says.
        assertThat(db.queryValue("SELECT COUNT(*) FROM flyway_schema_history WHERE NOT success")).hasToString(postgres ? "0" : "1");
        assertThat(db.hasTable("invoices")).isEqualTo(!postgres);
    }

    @Test
    void aStopRequestedBeforeTheMigrationStartsChangesNothing(Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase("postgres");
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY);");
        MigrationStop stop = new MigrationStop();
        stop.request();

        FleetDeployException failure = catchThrowableOfType(FleetDeployException.class,
                () -> migrator.migrate(request(db), progress, stop));

        assertThat(failure.getMessage()).contains("migrateSchema was stopped before migrating")
                .contains("Nothing was changed: the database is still at version (empty).");
        assertThat(db.hasTable("orders")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void aContractMigrationIsRefusedUnlessAllowed(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY, legacy_total INT);");
        migrator.migrate(request(db), progress);
        write("V2__add_total.sql", "ALTER TABLE orders ADD COLUMN total INT;");
        write("V3__drop_legacy_total.sql", SchemaMigrator.CONTRACT_MARKER + "\nALTER TABLE orders DROP COLUMN legacy_total;");

        MigrateResult preview = migrator.migrate(request(db).withDryRun(true).withAllowContract(true), progress);
        assertThat(preview.pending()).extracting(PendingMigration::script, PendingMigration::contract).containsExactly(
                org.assertj.core.groups.Tuple.tuple("V2__add_total.sql", false),
                org.assertj.core.groups.Tuple.tuple("V3__drop_legacy_total.sql", true));

        FleetDeployException refused = catchThrowableOfType(FleetDeployException.class,
                () -> migrator.migrate(request(db), progress));
        assertThat(refused.getMessage())
                .contains("V3__drop_legacy_total.sql")
                .contains("-- fleet:contract")
                .contains("previous release's code")
                .contains("allowContract");
        // Refused before anything ran: not even the expand migration V2.
        assertThat(db.queryValue("SELECT MAX(installed_rank) FROM flyway_schema_history")).hasToString("1");
        db.queryValue("SELECT legacy_total FROM orders");

        MigrateResult allowed = migrator.migrate(request(db).withAllowContract(true), progress);
        assertThat(allowed.applied()).extracting(AppliedMigration::version).containsExactly("2", "3");
        assertThatThrownBy(() -> db.queryValue("SELECT legacy_total FROM orders")).isInstanceOf(java.sql.SQLException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void anUnreachableDatabaseIsNamedByHostAndPortWithoutTheSecret(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY);");
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String url = db.jdbcUrl().replace(":" + db.port() + "/", ":" + closedPort + "/");
        DatabaseTarget target = DatabaseTarget.jdbc(url, db.user(), Secret.of(db.password()));

        FleetDeployException failure = catchThrowableOfType(FleetDeployException.class,
                () -> migrator.migrate(MigrateRequest.of("shop", target, MigrationSource.directory(migrations)), progress));

        assertThat(failure.whatFailed()).startsWith("Cannot reach the").contains("127.0.0.1:" + closedPort);
        assertThat(failure.whatToDo()).contains("host 127.0.0.1").contains("port " + closedPort);
        assertThat(failure.getMessage()).doesNotContain(db.password());
        assertThat(progress.text()).doesNotContain(db.password());
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mariadb"})
    void aWrongPasswordIsRefusedWithoutPrintingEitherPassword(String engine, Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase(engine);
        write("V1__create_orders.sql", "CREATE TABLE orders (id INT PRIMARY KEY);");
        String wrong = "wrong-" + db.password();
        DatabaseTarget target = DatabaseTarget.jdbc(db.jdbcUrl(), db.user(), Secret.of(wrong));

        FleetDeployException failure = catchThrowableOfType(FleetDeployException.class,
                () -> migrator.migrate(MigrateRequest.of("shop", target, MigrationSource.directory(migrations)), progress));

        assertThat(failure.whatFailed()).contains("refused the login as user '" + db.user() + "'");
        assertThat(failure.getMessage()).doesNotContain(wrong).doesNotContain(db.password());
        assertThat(db.hasTable("orders")).isFalse();
    }

    @Test
    void anEmptyOrMissingMigrationsDirectoryIsRefusedBeforeConnecting(Databases databases) throws Exception {
        TestDatabase db = databases.newDatabase("postgres");
        Files.writeString(migrations.resolve("README.txt"), "not a migration");

        assertThatThrownBy(() -> migrator.migrate(request(db), progress))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("holds no migrations")
                .hasMessageContaining(migrations.toString());
        Path missing = migrations.resolve("nope");
        assertThatThrownBy(() -> migrator.migrate(
                        MigrateRequest.of("shop", target(db), MigrationSource.directory(missing)), progress))
                .hasMessageContaining("does not exist");
        assertThat(db.hasTable("flyway_schema_history")).isFalse();
    }

    @Test
    void settingsAreCheckedAllAtOnceBeforeAnythingIsContacted() {
        DatabaseTarget bad = new DatabaseTarget("jdbc:oracle:thin:@x:1521:db", "-bad--id", null, null,
                Secret.of("s3cret-value"), true, null, java.util.Map.of("password", "x"));

        assertThatThrownBy(() -> migrator.migrate(MigrateRequest.of("shop", bad, MigrationSource.directory(migrations)), progress))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("not one fleet-deploy can use")
                .hasMessageContaining("RDS instance identifier '-bad--id' is not valid")
                .hasMessageContaining("both a password and IAM authentication")
                .hasMessageContaining("JDBC property 'password'")
                .message().doesNotContain("s3cret-value");
        assertThatThrownBy(() -> migrator.migrate(MigrateRequest.of("shop", DatabaseTarget.jdbc("jdbc:postgresql://h/db", "u", null),
                        MigrationSource.directory(migrations)).withSnapshot(true, null), progress))
                .hasMessageContaining("not given as an RDS instance");
        assertThatThrownBy(() -> migrator.migrate(MigrateRequest.of("bad app", DatabaseTarget.jdbc("jdbc:postgresql://h/db", "u", null),
                        MigrationSource.directory(migrations)), progress))
                .hasMessageContaining("app 'bad app' is not allowed");
    }

    private MigrateRequest request(TestDatabase db) {
        return MigrateRequest.of("shop", target(db), MigrationSource.directory(migrations)).withVersion("1.0.0");
    }

    private static DatabaseTarget target(TestDatabase db) {
        return DatabaseTarget.jdbc(db.jdbcUrl(), db.user(), Secret.of(db.password()));
    }

    private void write(String name, String sql) throws IOException {
        Files.writeString(migrations.resolve(name), sql);
    }

    private static String trueLiteral(String engine) {
        return engine.equals("postgres") ? "true" : "1";
    }
}
