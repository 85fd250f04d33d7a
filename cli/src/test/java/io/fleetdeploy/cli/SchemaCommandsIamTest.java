package io.fleetdeploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.IamDatabaseUsers;
import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.SandboxConfig;
import io.fleetdeploy.sandbox.runtime.DatabaseServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleet-deploy migrate} and {@code schema-key} with {@code --iam-auth} against the sandbox's RDS
 * instance, whose database checks each RDS IAM token (SigV4, endpoint, user, expiry) as RDS does.
 */
class SchemaCommandsIamTest {

    private static final String ACCESS_KEY = "AKIACLIIAMTEST000001";
    private static final String SECRET_KEY = "cliIamTestSecretKey0000000000000000001";
    private static final String MASTER_PASSWORD = "master-pw-5e8a2c7f";
    private static final String IAM_USER = "cli_iam";

    private static Sandbox sandbox;
    private static DatabaseServer server;

    @TempDir
    Path migrations;

    private final List<CliRun> runs = new ArrayList<>();

    @BeforeAll
    static void startSandbox() throws Exception {
        sandbox = Sandbox.start(SandboxConfig.parse("""
                {"users": [{"name": "deployer", "accessKeyId": "%s", "secretAccessKey": "%s"}],
                 "databases": [{"identifier": "shop-db", "dbName": "shop", "masterUsername": "fleet",
                                "masterPassword": "%s", "iamAuthentication": true}]}
                """.formatted(ACCESS_KEY, SECRET_KEY, MASTER_PASSWORD), "SchemaCommandsIamTest"));
        server = sandbox.databases().get("shop-db");
        IamDatabaseUsers.create(server, MASTER_PASSWORD, IAM_USER, "iamdb");
        // The SDK's default chain reads these, as it would read a CI's AWS credentials binding.
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
    }

    @AfterAll
    static void stopSandbox() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @AfterEach
    void noRunPrintedASecret() {
        assertThat(runs).allSatisfy(r -> {
            assertThat(r.out() + r.err()).doesNotContain("X-Amz-Signature").doesNotContain("Action=connect")
                    .doesNotContain(SECRET_KEY).doesNotContain(MASTER_PASSWORD);
        });
    }

    @Test
    void migrateAndFlipTheSchemaKeyAsAnIamUser() throws Exception {
        Files.writeString(migrations.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY);");

        CliRun migrate = run("migrate", "--app", "shop", "--version", "1.0.0", "--dir", migrations.toString(),
                "--rds-instance", "shop-db", "--db-name", "iamdb", "--db-user", IAM_USER, "--iam-auth");
        assertThat(migrate.exitCode()).as(migrate.err()).isZero();
        assertThat(migrate.out()).contains("version (empty) -> 1, 1 migration(s) applied").contains("V1__create_orders.sql");
        assertThat(migrate.err()).contains("as user cli_iam with RDS IAM authentication tokens");

        CliRun flip = run("schema-key", "flip", "--app", "shop", "--to", "k1", "--expect-unset", "--by", "https://ci/job/7/",
                "--rds-instance", "shop-db", "--db-name", "iamdb", "--db-user", IAM_USER, "--iam-auth");
        assertThat(flip.exitCode()).as(flip.err()).isZero();
        assertThat(flip.out()).contains("shop: (none) -> k1");

        CliRun get = run("schema-key", "get", "--app", "shop",
                "--rds-instance", "shop-db", "--db-name", "iamdb", "--db-user", IAM_USER, "--iam-auth");
        assertThat(get.exitCode()).as(get.err()).isZero();
        assertThat(get.out()).contains("k1");
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://" + server.host() + ":" + server.port()
                + "/iamdb", "fleet", MASTER_PASSWORD);
             ResultSet rows = connection.createStatement().executeQuery("SELECT tableowner FROM pg_tables WHERE tablename = 'orders'")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).as("the migration ran as the IAM user").isEqualTo(IAM_USER);
        }
    }

    @Test
    void aRefusedTokenOrAnUnknownInstanceIsReportedWithoutSecrets() throws Exception {
        Files.writeString(migrations.resolve("V1__create_refunds.sql"), "CREATE TABLE refunds (id INT PRIMARY KEY);");
        String endpoint = server.host() + ":" + server.port();

        // The master user is not in rds_iam: a token is no password for it.
        CliRun notIam = run("schema-key", "flip", "--app", "billing", "--to", "k1", "--expect-unset",
                "--rds-instance", "shop-db", "--db-name", "iamdb", "--iam-auth");
        assertThat(notIam.exitCode()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(notIam.err()).contains(endpoint).contains("refused the login as user 'fleet' with an RDS IAM authentication token")
                .contains("Nothing was changed.");

        CliRun unknown = run("migrate", "--app", "shop", "--dir", migrations.toString(),
                "--rds-instance", "nope-db", "--db-user", IAM_USER, "--iam-auth");
        assertThat(unknown.exitCode()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(unknown.err()).contains("There is no RDS DB instance 'nope-db'");

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        CliRun unreachable = run("schema-key", "get", "--app", "shop",
                "--jdbc-url", "jdbc:postgresql://127.0.0.1:" + closedPort + "/iamdb", "--db-user", IAM_USER, "--iam-auth");
        assertThat(unreachable.exitCode()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(unreachable.err()).contains("Cannot reach the PostgreSQL database iamdb at 127.0.0.1:" + closedPort);

        String rightSecret = System.getProperty("aws.secretAccessKey");
        System.setProperty("aws.secretAccessKey", "not-the-" + SECRET_KEY);
        CliRun badSignature;
        try {
            // A JDBC URL needs no RDS call: the token is signed locally and the database refuses it.
            badSignature = run("migrate", "--app", "shop", "--dir", migrations.toString(),
                    "--jdbc-url", "jdbc:postgresql://" + endpoint + "/iamdb", "--db-user", IAM_USER, "--iam-auth");
        } finally {
            System.setProperty("aws.secretAccessKey", rightSecret);
        }
        assertThat(badSignature.exitCode()).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(badSignature.err()).contains(endpoint).contains("refused the login as user 'cli_iam'")
                .contains("signature we calculated does not match").contains("GRANT rds_iam TO cli_iam")
                .doesNotContain("not-the-" + SECRET_KEY);
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://" + endpoint + "/iamdb", "fleet", MASTER_PASSWORD);
             ResultSet rows = connection.createStatement().executeQuery("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'refunds'")) {
            rows.next();
            assertThat(rows.getInt(1)).as("no migration ran").isZero();
        }
    }

    private CliRun run(String... args) {
        CliRun run = CliRun.against(sandbox.awsEndpoint().toString(), sandbox.region(), args);
        runs.add(run);
        return run;
    }
}
