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
 * a snapshot is taken and waited for; an IAM token is signed for the instance's endpoint; an
 * unknown identifier is refused. The sandbox's RDS is a real PostgreSQL behind the AWS API.
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
    void signsAnIamTokenForTheInstancesEndpointAndNeverPrintsIt() {
        DatabaseServer server = sandbox.databases().get("shop-db");
        try (RdsDatabases rds = RdsDatabases.of(aws)) {
            RdsInstance instance = rds.describe("shop-db");
            assertThat(instance.engine()).isEqualTo("postgres");
            assertThat(instance.host()).isEqualTo(server.host());
            assertThat(instance.port()).isEqualTo(server.port());
            assertThat(instance.iamAuthenticationEnabled()).isTrue();

            String token = rds.authenticationToken(instance.host(), instance.port(), "fleet");
            assertThat(token).startsWith(instance.host() + ":" + instance.port() + "/?")
                    .contains("Action=connect").contains("DBUser=fleet")
                    .contains("X-Amz-Credential=" + ACCESS_KEY + "%2F").contains("%2F" + sandbox.region() + "%2Frds-db%2F")
                    .contains("X-Amz-Signature=");

            // The sandbox's PostgreSQL checks passwords only, so the signed token is sent and refused:
            // what matters here is that the path runs and the refusal does not print the token.
            FleetDeployException refused = catchThrowableOfType(FleetDeployException.class,
                    () -> new DatabaseConnector(rds).connect(DatabaseTarget.rds("shop-db", "fleet").withIamAuth(true), progress));
            assertThat(refused.whatFailed()).contains("refused the login as user 'fleet'");
            assertThat(refused.getMessage()).doesNotContain("X-Amz-Signature").doesNotContain("Action=connect");
            assertThat(progress.text()).contains("Signed an RDS IAM authentication token for user fleet")
                    .doesNotContain("X-Amz-Signature");
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
}
