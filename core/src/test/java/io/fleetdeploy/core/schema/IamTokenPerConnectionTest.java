package io.fleetdeploy.core.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.testing.IamDatabaseUsers;
import io.fleetdeploy.core.testing.RecordingProgress;
import io.fleetdeploy.sandbox.runtime.DatabaseServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An RDS IAM token is valid for 15 minutes, and a migration (or a wait on the migration lock) can
 * outlast it: each new connection must log in with a token signed for it. Instead of waiting 15
 * minutes, the sandbox's database here takes every token for one login only (the shortest-lived token
 * there is), so any connection that reused an earlier token is refused.
 */
class IamTokenPerConnectionTest {

    private static final String MASTER_PASSWORD = "master-pw-9b2c0d1e";
    private static final Set<String> usedTokens = ConcurrentHashMap.newKeySet();

    @TempDir
    static Path workDir;
    private static DatabaseServer server;

    @TempDir
    Path migrations;

    @BeforeAll
    static void start() throws Exception {
        server = DatabaseServer.start("shop", "fleet", MASTER_PASSWORD, workDir.resolve("db"),
                (endpoint, user, token) -> !token.startsWith("token-for-" + user + "@" + endpoint + "#")
                        ? Optional.of("not a token for " + user + " at " + endpoint)
                        : usedTokens.add(token) ? Optional.empty() : Optional.of("this token was used for an earlier login"));
        IamDatabaseUsers.create(server, MASTER_PASSWORD, "app_iam", "appdb");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void everyNewConnectionOfAMigrationAndOfSchemaKeyFlipsLogsInWithAFreshToken() throws Exception {
        AtomicInteger signed = new AtomicInteger();
        IamTokenSigner signer = (host, port, user) -> "token-for-" + user + "@" + host + ":" + port + "#" + signed.incrementAndGet();
        RdsDatabases noAws = new RdsDatabases(() -> {
            throw new AssertionError("a JDBC target with IAM authentication needs no AWS call here");
        });
        DatabaseConnector connector = new DatabaseConnector(noAws, signer);
        DatabaseTarget target = DatabaseTarget.jdbc("jdbc:postgresql://" + server.host() + ":" + server.port() + "/appdb",
                "app_iam", null).withIamAuth(true);
        Files.writeString(migrations.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY);");
        Files.writeString(migrations.resolve("V2__add_total.sql"), "ALTER TABLE orders ADD COLUMN total INT;");
        RecordingProgress progress = new RecordingProgress();

        MigrateResult result = new SchemaMigrator(noAws, ReleaseBundleSource.NONE, Clock.systemUTC(), connector)
                .migrate(MigrateRequest.of("shop", target, MigrationSource.directory(migrations)), progress);
        int afterMigration = signed.get();
        SchemaKeyStore keys = new SchemaKeyStore(connector.connect(target, progress), SchemaKeyTables.DEFAULT);
        keys.flip(new FlipRequest("shop", KeyExpectation.unset(), "k1", "IamTokenPerConnectionTest", null), progress);
        keys.flip(new FlipRequest("shop", KeyExpectation.is("k1"), "k2", "IamTokenPerConnectionTest", null), progress);

        assertThat(result.applied()).hasSize(2);
        assertThat(keys.get("shop").orElseThrow().schemaKey()).isEqualTo("k2");
        assertThat(afterMigration).as("the check, the lock and Flyway each log in").isGreaterThanOrEqualTo(3);
        assertThat(signed.get()).as("the flips logged in again").isGreaterThan(afterMigration + 1);
        assertThat(usedTokens).as("every login was accepted with a token of its own").hasSize(signed.get());
    }
}
