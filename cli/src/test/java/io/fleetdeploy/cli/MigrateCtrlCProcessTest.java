package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.DatabaseServers;
import io.fleetdeploy.core.testing.DatabaseServers.Postgres;
import io.fleetdeploy.core.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C during {@code fleet-deploy migrate}, as a user meets it: the CLI in its own JVM, a real
 * SIGINT, a real PostgreSQL. The statement running on the server is cancelled (without that, the
 * session would go on sleeping after the JVM is gone), the migration it belongs to is rolled back
 * whole, and the CLI exits 130 saying the database was left at the version before it.
 */
@ExtendWith(DatabaseServers.class)
class MigrateCtrlCProcessTest {

    /** Set by surefire (cli/pom.xml); the CLI process inherits it. */
    private static final String PASSWORD_ENV = "FLEET_DEPLOY_TEST_DB_PASSWORD";
    private static final String USER = "cli_user";

    @TempDir
    Path work;

    @Test
    void ctrlCInTheSecondMigrationCancelsItOnTheServerAndLeavesTheDatabaseAtTheFirst(Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase(USER, System.getenv(PASSWORD_ENV));
        Path migrations = Files.createDirectories(work.resolve("migrations"));
        Files.writeString(migrations.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY);");
        // Far longer than any wait below: a session the stop did not cancel would still be there when they end.
        Files.writeString(migrations.resolve("V2__slow_invoices.sql"), "SELECT pg_sleep(300);\nCREATE TABLE invoices (id INT PRIMARY KEY);");

        try (Connection admin = DriverManager.getConnection(postgres.adminUrl(db.name()))) {
            CliProcess migrate = CliProcess.start(Map.of(), "migrate", "--app", "shop", "--dir", migrations.toString(),
                    "--jdbc-url", db.jdbcUrl(), "--db-user", USER, "--password-env", PASSWORD_ENV);
            try {
                Await.until("V2's pg_sleep runs on the database (stderr: " + migrate.err() + ")", Duration.ofMinutes(2),
                        () -> migrate.process().isAlive() && count(admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = ?"
                                + " AND state = 'active' AND query LIKE 'SELECT pg_sleep%'", db.name()) == 1);
                migrate.interrupt();
                assertThat(migrate.process().waitFor(2, TimeUnit.MINUTES)).as("the CLI ends (stderr: %s)", migrate.err()).isTrue();
            } finally {
                migrate.process().destroyForcibly();
            }

            assertThat(migrate.process().exitValue()).as(migrate.err()).isEqualTo(FleetDeployCli.EXIT_INTERRUPTED);
            assertThat(migrate.err())
                    .contains("Ctrl-C: stopping the migration")
                    .contains("migrateSchema was stopped while migrating: Migration V2__slow_invoices.sql failed")
                    .contains("The database was left at version 1.")
                    .contains("nothing of V2__slow_invoices.sql remains")
                    .contains("Running `fleet-deploy migrate` again is safe")
                    .doesNotContain("did not end within");
            assertThat(migrate.out()).isEmpty();
            assertThat(rows(admin, "SELECT version || ' ' || success FROM flyway_schema_history WHERE version IS NOT NULL"
                    + " ORDER BY installed_rank")).containsExactly("1 true");
            assertThat(count(admin, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", "invoices")).isZero();
            assertThat(count(admin, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", "orders")).isOne();
            // Every check above logs in as postgres: a session of USER in this database is the migrator's.
            Await.until("no session of the migrator is left on the database", Duration.ofSeconds(30),
                    () -> count(admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND usename = ?",
                            db.name(), USER) == 0);
        }
    }

    private static long count(Connection connection, String sql, String... parameters) {
        return Long.parseLong(rows(connection, sql, parameters).get(0));
    }

    /** The first column of every row, as text. */
    private static List<String> rows(Connection connection, String sql, String... parameters) {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                query.setString(i + 1, parameters[i]);
            }
            List<String> values = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }
}
