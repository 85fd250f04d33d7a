package io.fleetdeploy.sandbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.sandbox.runtime.DatabaseServer.Snapshot;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

class DatabaseServerTest {
    private static final String PASSWORD = "it's-a-s3cret";
    @TempDir
    static Path workDir;
    private static DatabaseServer server;

    @BeforeAll
    static void start() throws Exception {
        // Stands in for the services side's SigV4 check of the presigned token.
        IamTokenVerifier verifier = (endpoint, user, token) -> token.equals("iam-token-for-" + user) ? Optional.empty()
                : Optional.of("not the test's token for " + user + " at " + endpoint);
        server = DatabaseServer.start("appdb", "master", PASSWORD, workDir, verifier);
        try (Connection c = master(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL, qty int DEFAULT 1 CHECK (qty > 0))");
            s.execute("CREATE INDEX orders_item ON orders (item)");
            s.execute("CREATE SCHEMA billing");
            s.execute("CREATE TABLE billing.invoices (no bigint PRIMARY KEY, order_id int REFERENCES orders(id))");
            s.execute("INSERT INTO orders (item, qty) SELECT 'item ' || g, g FROM generate_series(1, 5000) g");
            s.execute("INSERT INTO billing.invoices SELECT g, g FROM generate_series(1, 100) g");
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theMasterUserOwnsTheDatabaseAndPasswordsAreChecked() throws Exception {
        assertThat(server.engine()).isEqualTo("postgres");
        assertThat(server.engineVersion()).matches("\\d+\\.\\d+");
        assertThat(server.host()).isEqualTo("127.0.0.1");
        assertThat(server.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + server.port() + "/appdb");
        try (Connection c = master(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("SELECT current_user, pg_catalog.pg_get_userbyid(datdba) "
                     + "FROM pg_database WHERE datname = current_database()")) {
            rows.next();
            assertThat(rows.getString(1)).isEqualTo("master");
            assertThat(rows.getString(2)).isEqualTo("master");
        }
        assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl(), "master", "wrong-password"))
                .isInstanceOf(SQLException.class).extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("28P01");
        assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl(), "postgres", ""))
                .as("the embedded server's trust login is gone").isInstanceOf(SQLException.class);
    }

    @Test
    void iamUsersLogInWithAValidTokenThroughTheProxyAndNeverOnThePostgresPort() throws Exception {
        try (Connection c = master(); Statement s = c.createStatement()) {
            s.execute("CREATE USER app_iam");
            s.execute("GRANT rds_iam TO app_iam");
        }
        assertThat(server.iamAuthentication()).isTrue();
        assertThat(server.port()).isNotEqualTo(server.serverPort());
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), "app_iam", "iam-token-for-app_iam");
             Statement s = c.createStatement(); ResultSet rows = s.executeQuery("SELECT current_user")) {
            rows.next();
            assertThat(rows.getString(1)).isEqualTo("app_iam");
        }
        assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl(), "app_iam", "forged-token"))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"))
                .hasMessageContaining("PAM authentication failed for user \"app_iam\"")
                .hasMessageContaining("RDS IAM authentication at 127.0.0.1:" + server.port() + " refused: not the test's token")
                .hasMessageNotContaining("forged-token");
        assertThatThrownBy(() -> DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + server.serverPort() + "/appdb", "app_iam", "iam-token-for-app_iam"))
                .as("rds_iam members cannot bypass the token check").isInstanceOf(SQLException.class);
        assertThat(server.acceptsIamToken("app_iam", "iam-token-for-app_iam")).isTrue();
        assertThat(server.acceptsIamToken("app_iam", "forged-token")).isFalse();
        assertThat(server.acceptsIamToken("master", "iam-token-for-master")).as("master is not in rds_iam").isFalse();
        assertThat(server.acceptsIamToken("nobody", "iam-token-for-nobody")).isFalse();
    }

    @Test
    void aSnapshotIsAConsistentCopyOfTheDataThatRestoresElsewhere() throws Exception {
        CompletableFuture<Snapshot> pending = server.snapshot("before-v2");
        Snapshot snapshot = pending.get(2, TimeUnit.MINUTES);
        assertThat(snapshot.id()).isEqualTo("before-v2");
        assertThat(snapshot.location()).isEqualTo(workDir.resolve("snapshots/before-v2")).isDirectory();
        assertThat(snapshot.bytes()).isGreaterThan(50_000);
        assertThat(snapshot.created()).isBeforeOrEqualTo(java.time.Instant.now());
        try (Connection c = master(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO orders (item) VALUES ('after the snapshot')");
        }

        try (Connection c = master(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE restored");
        }
        try (Connection c = DriverManager.getConnection(server.jdbcUrl().replace("/appdb", "/restored"), "master", PASSWORD);
             Statement s = c.createStatement()) {
            String schema = Files.readString(snapshot.location().resolve("schema.sql"));
            s.execute(schema);
            for (String line : schema.lines().filter(l -> l.startsWith("-- data: ")).toList()) {
                String[] parts = line.substring("-- data: ".length()).split(" -> ");
                try (InputStream in = Files.newInputStream(snapshot.location().resolve(parts[0]))) {
                    c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + parts[1] + " FROM STDIN", in);
                }
            }
            s.execute(Files.readString(snapshot.location().resolve("constraints.sql")));
            assertThat(count(s, "SELECT count(*) FROM orders")).isEqualTo(5000);
            assertThat(count(s, "SELECT sum(qty) FROM orders")).isEqualTo(5000L * 5001 / 2);
            assertThat(count(s, "SELECT count(*) FROM billing.invoices")).isEqualTo(100);
            assertThat(count(s, "SELECT nextval('orders_id_seq')")).as("the sequence continues").isEqualTo(5001);
            assertThatThrownBy(() -> s.execute("INSERT INTO orders (id, item) VALUES (1, 'duplicate')"))
                    .as("the primary key came along").isInstanceOf(SQLException.class);
        }
    }

    @Test
    void aFailedSnapshotLeavesNothingAndItsIdCanBeUsedAgain() throws Exception {
        Path snapshots = Files.createDirectories(workDir.resolve("snapshots"));
        Files.writeString(snapshots.resolve("retry-me.partial"), "a file where the snapshot's directory must go");
        CompletableFuture<Snapshot> failed = server.snapshot("retry-me");
        assertThatThrownBy(() -> failed.get(2, TimeUnit.MINUTES)).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("retry-me");
        assertThat(snapshots.resolve("retry-me")).doesNotExist();
        assertThat(snapshots.resolve("retry-me.partial")).doesNotExist();
        assertThat(server.snapshot("retry-me").get(2, TimeUnit.MINUTES).location()).isDirectory();
    }

    @Test
    void rejectsBadOrTakenSnapshotIdsAndBadStartArgumentsBeforeDoingAnything() throws Exception {
        server.snapshot("taken").get(2, TimeUnit.MINUTES);
        for (String bad : List.of("1abc", "a--b", "ends-", "has space", "")) {
            assertThatThrownBy(() -> server.snapshot(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> server.snapshot("taken")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already exists");
        assertThatThrownBy(() -> DatabaseServer.start("bad-name", "postgres", "short"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("database name 'bad-name'")
                .hasMessageContaining("master user 'postgres'")
                .hasMessageContaining("master password")
                .hasMessageNotContaining("short");
        assertThatThrownBy(() -> DatabaseServer.start("appdb", "master", PASSWORD, workDir))
                .as("a work directory that already holds a database").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already exists");
    }

    private static Connection master() throws SQLException {
        return DriverManager.getConnection(server.jdbcUrl(), "master", PASSWORD);
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rows = s.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
