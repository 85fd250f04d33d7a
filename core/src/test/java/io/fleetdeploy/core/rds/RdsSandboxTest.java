package io.fleetdeploy.core.rds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.schema.DatabaseConnector;
import io.fleetdeploy.core.schema.DatabaseTarget;
import io.fleetdeploy.core.schema.FlipRequest;
import io.fleetdeploy.core.schema.KeyExpectation;
import io.fleetdeploy.core.schema.MigrateRequest;
import io.fleetdeploy.core.schema.MigrateResult;
import io.fleetdeploy.core.schema.MigrationSource;
import io.fleetdeploy.core.schema.ReleaseBundleSource;
import io.fleetdeploy.core.schema.SchemaKeyStore;
import io.fleetdeploy.core.schema.SchemaKeyTables;
import io.fleetdeploy.core.schema.SchemaMigrator;
import io.fleetdeploy.core.schema.Secret;
import io.fleetdeploy.core.testing.IamDatabaseUsers;
import io.fleetdeploy.core.testing.RecordingProgress;
import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.SandboxConfig;
import io.fleetdeploy.sandbox.runtime.DatabaseServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.rds.model.DBSnapshot;

/**
 * migrateSchema's RDS paths against the sandbox: DescribeDBInstances gives host, port and engine;
 * a snapshot is taken and waited for; an IAM user migrates and flips the schema key with tokens
 * the sandbox verifies (SigV4, endpoint, user, expiry), and a refused token is reported without
 * secrets; an unknown identifier is refused. The sandbox's RDS is a real PostgreSQL behind the AWS API.
 */
class RdsSandboxTest {

    private static final String ACCESS_KEY = "AKIASCHEMATESTS00001";
    private static final String SECRET_KEY = "schemaTestSecretKey000000000000000001";
    private static final String MASTER_PASSWORD = "master-pw-4d1f9a7e";

    private static Sandbox sandbox;
    private static AwsSettings aws;

    @TempDir
    Path migrations;

    private final RecordingProgress progress = new RecordingProgress();

    @BeforeAll
    static void startSandbox() {
        sandbox = Sandbox.start(SandboxConfig.parse("""
                {"users": [{"name": "deployer", "accessKeyId": "%s", "secretAccessKey": "%s"}],
                 "databases": [{"identifier": "shop-db", "dbName": "shop", "masterUsername": "fleet",
                                "masterPassword": "%s", "iamAuthentication": true}]}
                """.formatted(ACCESS_KEY, SECRET_KEY, MASTER_PASSWORD), "RdsSandboxTest"));
        aws = new AwsSettings(Region.of(sandbox.region()), sandbox.awsEndpoint(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
    }

    @AfterAll
    static void stopSandbox() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void migratesAnRdsInstanceFoundByItsIdentifierAfterAnAvailableSnapshot() throws Exception {
        Files.writeString(migrations.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY);");
        DatabaseServer server = sandbox.databases().get("shop-db");
        DatabaseTarget target = DatabaseTarget.rds("shop-db", null).withPassword(Secret.of(MASTER_PASSWORD));

        MigrateResult result;
        try (RdsDatabases rds = RdsDatabases.of(aws)) {
            result = new SchemaMigrator(rds, ReleaseBundleSource.NONE, Clock.systemUTC()).migrate(
                    MigrateRequest.of("shop", target, MigrationSource.directory(migrations)).withVersion("1.0.0")
                            .withSnapshot(true, Duration.ofMinutes(2)), progress);
        }

        assertThat(result.snapshotId()).startsWith("fleet-shop-1-0-0-");
        assertThat(result.applied()).hasSize(1);
        assertThat(result.database()).isEqualTo("PostgreSQL database shop at " + server.host() + ":" + server.port());
        assertThat(progress.text()).contains("RDS instance shop-db is PostgreSQL database shop at")
                .contains("is available").doesNotContain(MASTER_PASSWORD);
        try (RdsClient client = AwsClients.configure(RdsClient.builder(), aws).build()) {
            DBSnapshot snapshot = client.describeDBSnapshots(r -> r.dbSnapshotIdentifier(result.snapshotId())).dbSnapshots().get(0);
            assertThat(snapshot.status()).isEqualTo("available");
            assertThat(snapshot.dbInstanceIdentifier()).isEqualTo("shop-db");
        }
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl(), "fleet", MASTER_PASSWORD);
             ResultSet rows = connection.createStatement().executeQuery("SELECT COUNT(*) FROM orders")) {
            assertThat(rows.next()).isTrue();
        }

        // The schema key works through the same RDS lookup.
        try (RdsDatabases rds = RdsDatabases.of(aws)) {
            SchemaKeyStore store = new SchemaKeyStore(new DatabaseConnector(rds).connect(target, progress), SchemaKeyTables.DEFAULT);
            store.flip(new FlipRequest("shop", KeyExpectation.unset(), "k1", "RdsSandboxTest", null), progress);
            assertThat(store.get("shop").orElseThrow().schemaKey()).isEqualTo("k1");
        }
    }

    @Test
    void migratesAndFlipsTheSchemaKeyAsAnIamUserWhoseTokensTheSandboxChecks() throws Exception {
        DatabaseServer server = sandbox.databases().get("shop-db");
        IamDatabaseUsers.create(server, MASTER_PASSWORD, "deployer_iam", "iamdb");
        Files.writeString(migrations.resolve("V1__create_carts.sql"), "CREATE TABLE carts (id INT PRIMARY KEY);");
        DatabaseTarget asIamUser = DatabaseTarget.rds("shop-db", "deployer_iam").withDatabaseName("iamdb").withIamAuth(true);

        try (RdsDatabases rds = RdsDatabases.of(aws)) {
            String token = rds.authenticationToken(server.host(), server.port(), "deployer_iam");
            assertThat(token).startsWith(server.host() + ":" + server.port() + "/?").contains("Action=connect")
                    .contains("DBUser=deployer_iam").contains("X-Amz-Credential=" + ACCESS_KEY + "%2F")
                    .contains("%2F" + sandbox.region() + "%2Frds-db%2F");
            assertThat(server.acceptsIamToken("deployer_iam", token)).as("the sandbox's own check").isTrue();
            assertThat(server.acceptsIamToken("fleet", rds.authenticationToken(server.host(), server.port(), "fleet")))
                    .as("the master user is not in rds_iam").isFalse();

            MigrateResult result = new SchemaMigrator(rds, ReleaseBundleSource.NONE, Clock.systemUTC()).migrate(
                    MigrateRequest.of("shop", asIamUser, MigrationSource.directory(migrations)).withVersion("1.0.0"), progress);
            assertThat(result.applied()).hasSize(1);
            assertThat(result.versionAfter()).isEqualTo("1");

            SchemaKeyStore store = new SchemaKeyStore(new DatabaseConnector(rds).connect(asIamUser, progress), SchemaKeyTables.DEFAULT);
            store.flip(new FlipRequest("shop", KeyExpectation.unset(), "k1", "RdsSandboxTest", null), progress);
            store.flip(new FlipRequest("shop", KeyExpectation.is("k1"), "k2", "RdsSandboxTest", null), progress);
            assertThat(store.get("shop").orElseThrow().schemaKey()).isEqualTo("k2");
        }
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://" + server.host() + ":" + server.port()
                + "/iamdb", "fleet", MASTER_PASSWORD);
             ResultSet rows = connection.createStatement().executeQuery(
                     "SELECT tableowner FROM pg_tables WHERE tablename IN ('carts', 'fleet_schema_key') ORDER BY tablename")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).as("carts was created by the IAM user").isEqualTo("deployer_iam");
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("deployer_iam");
        }
        assertThat(progress.text()).contains("as user deployer_iam with RDS IAM authentication tokens")
                .doesNotContain("X-Amz-Signature").doesNotContain("Action=connect");
    }

    @Test
    void aRefusedTokenNamesHostPortAndUserAndNoSecret() throws Exception {
        DatabaseServer server = sandbox.databases().get("shop-db");
        IamDatabaseUsers.create(server, MASTER_PASSWORD, "refused_iam", "refuseddb");
        String endpoint = server.host() + ":" + server.port();
        String otherSecret = "notTheSandboxesSecretKey00000000000001";
        AwsSettings unknownKey = new AwsSettings(Region.of(sandbox.region()), sandbox.awsEndpoint(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIAUNKNOWNTOTHEBOX1", otherSecret)));
        DatabaseTarget target = DatabaseTarget.jdbc("jdbc:postgresql://" + endpoint + "/refuseddb", "refused_iam", null)
                .withIamAuth(true);

        try (RdsDatabases rds = RdsDatabases.of(unknownKey)) {
            FleetDeployException refused = catchThrowableOfType(FleetDeployException.class,
                    () -> new DatabaseConnector(rds).connect(target, progress));

            assertThat(refused.whatFailed()).contains(endpoint)
                    .contains("refused the login as user 'refused_iam' with an RDS IAM authentication token")
                    .contains("PAM authentication failed for user \"refused_iam\"")
                    .contains("access key AKIAUNKNOWNTOTHEBOX1: The security token included in the request is invalid");
            assertThat(refused.whatToDo()).contains("GRANT rds_iam TO refused_iam").contains("rds-db:connect");
            assertThat(refused.getMessage()).doesNotContain("X-Amz-Signature").doesNotContain("Action=connect")
                    .doesNotContain(otherSecret).doesNotContain(SECRET_KEY);
        }
        assertThat(progress.text()).doesNotContain("X-Amz-Signature").doesNotContain(otherSecret);
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://" + endpoint + "/refuseddb", "fleet",
                MASTER_PASSWORD);
             ResultSet rows = connection.createStatement().executeQuery("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")) {
            rows.next();
            assertThat(rows.getInt(1)).as("nothing was created").isZero();
        }
    }

    @Test
    void anUnknownInstanceIdentifierIsRefusedBeforeAnythingElse() throws Exception {
        Files.writeString(migrations.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY);");
        try (RdsDatabases rds = RdsDatabases.of(aws)) {
            SchemaMigrator migrator = new SchemaMigrator(rds, ReleaseBundleSource.NONE, Clock.systemUTC());

            assertThatThrownBy(() -> migrator.migrate(MigrateRequest.of("shop",
                            DatabaseTarget.rds("nope-db", "fleet").withPassword(Secret.of(MASTER_PASSWORD)),
                            MigrationSource.directory(migrations)).withSnapshot(true, Duration.ofMinutes(1)), progress))
                    .isInstanceOf(FleetDeployException.class)
                    .hasMessageContaining("There is no RDS DB instance 'nope-db'")
                    .hasMessageContaining("Nothing was changed");
            assertThatThrownBy(() -> rds.snapshot("nope-db", "fleet-shop-x", Duration.ofSeconds(30), Duration.ofSeconds(1), progress))
                    .hasMessageContaining("There is no RDS DB instance 'nope-db' to take a snapshot of");
        }
        try (RdsClient client = AwsClients.configure(RdsClient.builder(), aws).build()) {
            assertThat(client.describeDBSnapshots(r -> r.dbInstanceIdentifier("nope-db")).dbSnapshots()).isEmpty();
        }
    }

    @Test
    void aSnapshotAskedForAgainUnderItsNameIsTakenOnceAndOneOfAnotherInstanceIsRefused() {
        String name = "fleet-shop-asked-twice";
        try (RdsDatabases rds = RdsDatabases.of(aws)) {
            assertThat(rds.findSnapshot(name)).isEmpty();

            assertThat(rds.startSnapshotIfMissing("shop-db", name)).as("missing: asked for").isTrue();
            assertThat(rds.startSnapshotIfMissing("shop-db", name)).as("there already: not asked for again").isFalse();
            assertThatThrownBy(() -> rds.startSnapshotIfMissing("billing-db", name))
                    .hasMessageContaining("An RDS snapshot named '" + name + "' exists, but of DB instance 'shop-db', not of 'billing-db'")
                    .hasMessageContaining("no migration ran");

            assertThat(rds.findSnapshot(name)).get().extracting(s -> s.dbInstanceIdentifier()).isEqualTo("shop-db");
        }
        try (RdsClient client = AwsClients.configure(RdsClient.builder(), aws).build()) {
            assertThat(client.describeDBSnapshots(r -> r.dbSnapshotIdentifier(name)).dbSnapshots()).hasSize(1);
            // The other tests need the instance available (not backing up) again.
            io.fleetdeploy.core.testing.Await.until("shop-db is available again", Duration.ofMinutes(1), () -> "available".equals(
                    client.describeDBInstances(b -> b.dbInstanceIdentifier("shop-db")).dbInstances().get(0).dbInstanceStatus()));
        }
    }
}
