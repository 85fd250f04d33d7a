package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.testing.DatabaseServers;
import io.fleetdeploy.core.testing.DatabaseServers.Postgres;
import io.fleetdeploy.core.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code fleet-deploy migrate} and {@code fleet-deploy schema-key} against a real PostgreSQL. */
@ExtendWith(DatabaseServers.class)
class SchemaCommandsTest {

    /** Set by surefire (cli/pom.xml), the way a CI secret binding would. */
    private static final String PASSWORD_ENV = "FLEET_DEPLOY_TEST_DB_PASSWORD";

    @TempDir
    Path work;

    private TestDatabase db;
    private Path migrations;
    private Path passwordFile;

    @BeforeEach
    void database(Postgres postgres) throws Exception {
        db = postgres.newDatabase("cli_user", System.getenv(PASSWORD_ENV));
        migrations = Files.createDirectories(work.resolve("migrations"));
        Files.writeString(migrations.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY);");
        Files.writeString(migrations.resolve("V2__add_total.sql"), "ALTER TABLE orders ADD COLUMN total INT;");
        passwordFile = work.resolve("db-password");
        Files.writeString(passwordFile, db.password() + "\n");
    }

    @Test
    void migrateDryRunThenMigrateWithThePasswordFromAnEnvironmentVariable() throws Exception {
        Run dryRun = run("--json", "migrate", "--app", "shop", "--dir", migrations.toString(), "--dry-run",
                "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(), "--password-env", PASSWORD_ENV);
        assertThat(dryRun.code).as(dryRun.err).isZero();
        JsonNode preview = Json.mapper().readTree(dryRun.out);
        assertThat(preview.get("dryRun").asBoolean()).isTrue();
        assertThat(preview.get("pending")).hasSize(2);
        assertThat(preview.get("pending").get(0).get("script").asText()).isEqualTo("V1__create_orders.sql");
        assertThat(preview.get("pending").get(0).get("checksum").isInt()).isTrue();
        assertThat(db.hasTable("orders")).isFalse();

        Run migrate = run("migrate", "--app", "shop", "--version", "1.0.0", "--dir", migrations.toString(),
                "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(), "--password-env", PASSWORD_ENV);
        assertThat(migrate.code).as(migrate.err).isZero();
        assertThat(migrate.out).contains("version (empty) -> 2, 2 migration(s) applied")
                .contains("V1__create_orders.sql").contains("V2__add_total.sql");
        assertThat(migrate.err).contains("2 migration(s) pending");
        assertThat(db.hasTable("orders")).isTrue();
    }

    @Test
    void flipGetAndHistoryWithThePasswordFromAFile() throws Exception {
        Run first = run("schema-key", "flip", "--app", "shop", "--to", "k1", "--expect-unset", "--by", "https://ci/job/1/",
                "--note", "first deploy", "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(), "--password-file", passwordFile.toString());
        assertThat(first.code).as(first.err).isZero();
        assertThat(first.out).contains("shop: (none) -> k1").contains("by https://ci/job/1/");

        Run stale = run("schema-key", "flip", "--app", "shop", "--to", "k3", "--expect", "k0",
                "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(), "--password-file", passwordFile.toString());
        assertThat(stale.code).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(stale.err).contains("the key is 'k1', expected 'k0'").contains("Nothing was changed.");

        Run second = run("schema-key", "flip", "--app", "shop", "--to", "k2", "--expect", "k1", "--by", "https://ci/job/2/",
                "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(), "--password-file", passwordFile.toString());
        assertThat(second.code).as(second.err).isZero();

        Run get = run("--json", "schema-key", "get", "--app", "shop",
                "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(), "--password-file", passwordFile.toString());
        assertThat(get.code).as(get.err).isZero();
        JsonNode state = Json.mapper().readTree(get.out);
        assertThat(state.get("schemaKey").asText()).isEqualTo("k2");
        assertThat(state.get("updatedBy").asText()).isEqualTo("https://ci/job/2/");

        Run history = run("schema-key", "history", "--app", "shop",
                "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(), "--password-file", passwordFile.toString());
        assertThat(history.code).as(history.err).isZero();
        assertThat(history.out.lines()).hasSize(2);
        assertThat(history.out.lines().toList().get(0)).contains("k1 -> k2  by https://ci/job/2/");
        assertThat(history.out.lines().toList().get(1)).contains("(none) -> k1  by https://ci/job/1/  first deploy");

        Run none = run("schema-key", "get", "--app", "billing",
                "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(), "--password-file", passwordFile.toString());
        assertThat(none.out).contains("billing: no schema key set");
    }

    @Test
    void aPasswordIsNeverTakenAsAnArgumentAndBadInputIsRefused() throws Exception {
        Run bare = run("schema-key", "get", "--app", "shop", "--jdbc-url", db.jdbcUrl(), "--password", db.password());
        assertThat(bare.code).isEqualTo(FleetDeployCli.EXIT_USAGE);
        assertThat(bare.err).contains("A password is not accepted as an argument").contains("--password-env");

        Run both = run("schema-key", "get", "--app", "shop", "--jdbc-url", db.jdbcUrl(),
                "--password-env", PASSWORD_ENV, "--password-file", passwordFile.toString());
        assertThat(both.code).isEqualTo(FleetDeployCli.EXIT_USAGE);

        Run noExpect = run("schema-key", "flip", "--app", "shop", "--to", "k1", "--jdbc-url", db.jdbcUrl());
        assertThat(noExpect.code).isEqualTo(FleetDeployCli.EXIT_USAGE);
        assertThat(noExpect.err).contains("--expect");

        Run badKey = run("schema-key", "flip", "--app", "shop", "--to", "k 1", "--force", "--jdbc-url", db.jdbcUrl(),
                "--db-user", db.user(), "--password-file", passwordFile.toString());
        assertThat(badKey.code).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(badKey.err).contains("schema key 'k 1' is not allowed");

        Run unsetEnv = run("schema-key", "get", "--app", "shop", "--jdbc-url", db.jdbcUrl(), "--db-user", db.user(),
                "--password-env", "FLEET_DEPLOY_NO_SUCH_VARIABLE");
        assertThat(unsetEnv.code).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(unsetEnv.err).contains("FLEET_DEPLOY_NO_SUCH_VARIABLE (--password-env) is not set");

        Path wrongFile = work.resolve("wrong-password");
        Files.writeString(wrongFile, "not-" + db.password());
        Run wrong = run("migrate", "--app", "shop", "--dir", migrations.toString(), "--jdbc-url", db.jdbcUrl(),
                "--db-user", db.user(), "--password-file", wrongFile.toString());
        assertThat(wrong.code).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(wrong.err).contains("refused the login as user 'cli_user'");

        Run noBucket = run("migrate", "--app", "shop", "--release", "1.0.0", "--jdbc-url", db.jdbcUrl(),
                "--db-user", db.user(), "--password-file", passwordFile.toString());
        assertThat(noBucket.code).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(noBucket.err).contains("--release needs the release store's --bucket");

        Run badTimeout = run("migrate", "--app", "shop", "--dir", migrations.toString(), "--snapshot-timeout", "soon",
                "--jdbc-url", db.jdbcUrl());
        assertThat(badTimeout.code).isEqualTo(FleetDeployCli.EXIT_USAGE);
        assertThat(db.hasTable("flyway_schema_history")).isFalse();
        assertThat(db.hasTable("fleet_schema_key")).isFalse();
    }

    private final List<Run> runs = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void noRunPrintedThePassword() {
        assertThat(runs).allSatisfy(r -> {
            assertThat(r.out).doesNotContain(db.password());
            assertThat(r.err).doesNotContain(db.password());
        });
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = FleetDeployCli.run(new PrintWriter(out), new PrintWriter(err), args);
        Run run = new Run(code, out.toString(), err.toString());
        runs.add(run);
        return run;
    }

    private record Run(int code, String out, String err) {
    }
}
