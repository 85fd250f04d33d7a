package io.fleetdeploy.sandbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JdbcSchemaKeySourceTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static EmbeddedPostgres postgres;
    private static String jdbcUrl;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        postgres.close();
    }

    @Test
    void seesANotifiedFlipLongBeforeItsNextPoll() throws Exception {
        sql("CREATE TABLE fleet_schema_key (app text PRIMARY KEY, schema_key text NOT NULL)",
                "INSERT INTO fleet_schema_key VALUES ('shop', 'k1'), ('billing', 'b7')");
        try (JdbcSchemaKeySource source = new JdbcSchemaKeySource(jdbcUrl, "postgres", "", "fleet_schema_key",
                Duration.ofMinutes(5))) {
            assertThat(source.keyFor("shop")).hasValue("k1");
            assertThat(source.keyFor("billing")).hasValue("b7");
            assertThat(source.keyFor("unknown")).isEmpty();

            transaction("UPDATE fleet_schema_key SET schema_key = 'k2' WHERE app = 'shop'",
                    "NOTIFY fleet_schema_key, 'shop k2'");
            Await.until("the NOTIFY of k2 reaches the source (polls only every 5 minutes)", WAIT,
                    () -> source.keyFor("shop").equals(java.util.Optional.of("k2")));
        } finally {
            sql("DROP TABLE fleet_schema_key");
        }
    }

    @Test
    void aFlipCannotCommitWhileARequestHoldsTheKeyItReadAndTheNextRequestReadsTheNewKey() throws Exception {
        sql("CREATE TABLE fleet_schema_key (app text PRIMARY KEY, schema_key text NOT NULL)",
                "INSERT INTO fleet_schema_key VALUES ('shop', 'k1')");
        try (JdbcSchemaKeySource source = new JdbcSchemaKeySource(jdbcUrl, "postgres", "", "fleet_schema_key", Duration.ofMinutes(5))) {
            SchemaKeySource.KeyHold request = source.hold("shop").get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(request.key()).hasValue("k1");
            // The flip's row lock waits for the request; the database's lock_timeout bounds the wait and fails it.
            assertThatThrownBy(() -> transaction("SET LOCAL lock_timeout = '300ms'",
                    "UPDATE fleet_schema_key SET schema_key = 'k2' WHERE app = 'shop'"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("lock timeout");
            request.close();

            transaction("SET LOCAL lock_timeout = '10s'", "UPDATE fleet_schema_key SET schema_key = 'k2' WHERE app = 'shop'");
            try (SchemaKeySource.KeyHold next = source.hold("shop").get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                assertThat(next.key()).as("read from the database, not from the NOTIFY-fed memory").hasValue("k2");
            }
            try (SchemaKeySource.KeyHold noKeyYet = source.hold("billing").get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                assertThat(noKeyYet.key()).isEmpty();
            }
        } finally {
            sql("DROP TABLE fleet_schema_key");
        }
    }

    @Test
    void aMissingTableReadsAsNoKeysAndPollingPicksUpWhatAppearsWithoutNotify() throws Exception {
        try (JdbcSchemaKeySource source = new JdbcSchemaKeySource(jdbcUrl, "postgres", "", "public.deploy_keys",
                Duration.ofMillis(200))) {
            assertThat(source.keyFor("shop")).isEmpty();
            assertThat(source.keys()).isEmpty();
            sql("CREATE TABLE deploy_keys (app text PRIMARY KEY, schema_key text NOT NULL)",
                    "INSERT INTO deploy_keys VALUES ('shop', 'k9')");
            Await.until("the poll reads the new table", WAIT,
                    () -> source.keyFor("shop").equals(java.util.Optional.of("k9")));
        } finally {
            sql("DROP TABLE IF EXISTS deploy_keys");
        }
    }

    @Test
    void anUnreachableDatabaseGivesNoKeysAndTheSourceStillCloses() {
        try (JdbcSchemaKeySource source = new JdbcSchemaKeySource("jdbc:postgresql://127.0.0.1:1/none", "u", "p",
                "fleet_schema_key", Duration.ofMillis(100))) {
            assertThat(source.keyFor("shop")).isEmpty();
        }
    }

    @Test
    void rejectsATableNameThatIsNotAPlainIdentifier() {
        assertThatThrownBy(() -> new JdbcSchemaKeySource(jdbcUrl, "postgres", "", "keys; DROP TABLE x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a plain table name");
    }

    private static void sql(String... statements) throws SQLException {
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    private static void transaction(String... statements) throws SQLException {
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String statement : statements) {
                s.execute(statement);
            }
            c.commit();
        }
    }
}
