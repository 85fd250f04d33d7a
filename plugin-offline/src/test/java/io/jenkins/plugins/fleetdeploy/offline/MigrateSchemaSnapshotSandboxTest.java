package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.SandboxConfig;
import io.fleetdeploy.sandbox.runtime.DatabaseServer;
import hudson.FilePath;
import io.jenkins.plugins.fleetdeploy.FleetSettings;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.ProgramDat;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import io.jenkins.plugins.fleetdeploy.harness.TestUsernamePassword;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.rds.model.DBSnapshot;

/**
 * migrateSchema with {@code snapshot: true} against the sandbox's RDS (a real PostgreSQL behind the
 * AWS API, whose snapshots stay "creating" for a few seconds as on AWS): no thread is held while
 * RDS copies, the wait survives a controller restart, and the step returns the snapshot's id.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MigrateSchemaSnapshotSandboxTest {

    private static final String ACCESS_KEY = "AKIAPLUGINSNAPSHOT01";
    private static final String SECRET_KEY = "pluginSnapshotSecret00000000000000000001";
    private static final String MASTER_PASSWORD = "master-pw-plugin-7c2e";

    @TempDir
    Path dir;

    private Sandbox sandbox;
    private AwsSettings aws;

    @BeforeAll
    void start() {
        sandbox = Sandbox.start(SandboxConfig.parse("""
                {"users": [{"name": "deployer", "accessKeyId": "%s", "secretAccessKey": "%s"}],
                 "databases": [{"identifier": "shop-db", "dbName": "shop", "masterUsername": "fleet", "masterPassword": "%s"},
                               {"identifier": "billing-db", "dbName": "billing", "masterUsername": "fleet", "masterPassword": "%s"}]}
                """.formatted(ACCESS_KEY, SECRET_KEY, MASTER_PASSWORD, MASTER_PASSWORD), "MigrateSchemaSnapshotSandboxTest"));
        aws = new AwsSettings(Region.of(sandbox.region()), sandbox.awsEndpoint(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
    }

    @AfterAll
    void stop() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void holdsNoThreadWhileTheSnapshotIsCreatedSurvivesARestartAndReturnsTheSnapshotId() throws Exception {
        PipelineHarness.Running running = jenkins().start("node {\n"
                + "  writeFile file: 'db/migration/V1__orders.sql', text: 'create table orders (id int primary key);'\n"
                + "  withFleet(credentialsId: 'deployer', region: '" + sandbox.region() + "', endpoint: '" + sandbox.awsEndpoint()
                + "', app: 'shop') {\n"
                + "    def m = migrateSchema migrations: 'db/migration', version: '1.0.0', rdsInstanceId: 'shop-db',"
                + " databaseCredentialsId: 'shop-db-migrator', snapshot: true, snapshotTimeoutMinutes: 2\n"
                + "    echo \"migrated ${m.applied} to ${m.versionAfter} after snapshot ${m.snapshotId}\"\n"
                + "  }\n}\n", Map.of());

        // While RDS copies, the step only has a status: no thread is inside the step or the RDS client.
        Await.until("migrateSchema waits for its snapshot with no thread in it", Duration.ofMinutes(1), () -> {
            Optional<String> status = migrateStatus(running);
            return status.isPresent() && status.get().contains("waiting for RDS snapshot") && noThreadInTheStep();
        });
        StepExecution waiting = running.build().running().values().stream()
                .filter(e -> e.getClass().getName().contains("MigrateSchemaStep")).findFirst().orElseThrow();
        assertThat(new String(ProgramDat.save(waiting), StandardCharsets.ISO_8859_1)).as("what program.dat keeps")
                .contains("shop-db-migrator").doesNotContain(MASTER_PASSWORD).doesNotContain(SECRET_KEY);
        running.build().restartController();
        BuildResult build = running.result().get(3, TimeUnit.MINUTES);

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(build.log()).contains("still waiting for RDS snapshot fleet-shop-1-0-0-").contains("is available")
                .doesNotContain(MASTER_PASSWORD).doesNotContain(SECRET_KEY);
        Matcher returned = Pattern.compile("migrated \\[1\\] to 1 after snapshot (fleet-shop-1-0-0-\\S+)").matcher(build.log());
        assertThat(returned.find()).as(build.log()).isTrue();
        try (RdsClient rds = AwsClients.configure(RdsClient.builder(), aws).build()) {
            DBSnapshot snapshot = rds.describeDBSnapshots(b -> b.dbSnapshotIdentifier(returned.group(1))).dbSnapshots().get(0);
            assertThat(snapshot.status()).isEqualTo("available");
            assertThat(snapshot.dbInstanceIdentifier()).isEqualTo("shop-db");
        }
        DatabaseServer server = sandbox.databases().get("shop-db");
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl(), "fleet", MASTER_PASSWORD);
             ResultSet rows = connection.createStatement().executeQuery("select count(*) from orders")) {
            assertThat(rows.next()).as("the migration ran after the snapshot").isTrue();
        }
    }

    @Test
    void aStopWhileWaitingForTheSnapshotEndsTheStepAtOnceAndNoMigrationRuns() throws Exception {
        PipelineHarness.Running running = jenkins().start("node {\n"
                + "  writeFile file: 'db/migration/V1__refunds.sql', text: 'create table refunds (id int primary key);'\n"
                + "  migrateSchema migrations: 'db/migration', version: '1.0.1', app: 'shop', rdsInstanceId: 'shop-db',"
                + " databaseCredentialsId: 'shop-db-migrator', snapshot: true, region: '" + sandbox.region() + "', endpoint: '"
                + sandbox.awsEndpoint() + "', credentialsId: 'deployer'\n"
                + "}\n", Map.of());
        Await.until("migrateSchema waits for its snapshot", Duration.ofMinutes(1),
                () -> migrateStatus(running).filter(s -> s.contains("waiting for RDS snapshot")).isPresent());

        running.build().abort();

        BuildResult build = running.result().get(1, TimeUnit.MINUTES);
        assertThat(build.result()).as(build.log()).isEqualTo("ABORTED");
        Matcher stopped = Pattern.compile("migrateSchema stopped while waiting for RDS snapshot (fleet-shop-1-0-1-\\S+): no"
                + " migration ran").matcher(build.log());
        assertThat(stopped.find()).as(build.log()).isTrue();
        assertThat(build.log()).doesNotContain(MASTER_PASSWORD);
        DatabaseServer server = sandbox.databases().get("shop-db");
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl(), "fleet", MASTER_PASSWORD);
             ResultSet rows = connection.getMetaData().getTables(null, null, "refunds", null)) {
            assertThat(rows.next()).as("no migration ran").isFalse();
        }
        // The snapshot asked for stands and completes, as the log says; the instance is then available again.
        try (RdsClient rds = AwsClients.configure(RdsClient.builder(), aws).build()) {
            Await.until("RDS snapshot " + stopped.group(1) + " is available", Duration.ofMinutes(1), () -> "available".equals(
                    rds.describeDBSnapshots(b -> b.dbSnapshotIdentifier(stopped.group(1))).dbSnapshots().get(0).status()));
            Await.until("shop-db is available again", Duration.ofMinutes(1), () -> "available".equals(
                    rds.describeDBInstances(b -> b.dbInstanceIdentifier("shop-db")).dbInstances().get(0).dbInstanceStatus()));
        }
    }

    @Test
    void aRestartBetweenSavingTheSnapshotNameAndAskingForItAsksForItOnResumeThenMigrates() throws Exception {
        Path workspace = dir.resolve("restart-between");
        Files.createDirectories(workspace.resolve("db/migration"));
        Files.writeString(workspace.resolve("db/migration/V1__invoices.sql"), "create table invoices (id int primary key);");
        FleetSettings fleet = FleetSettings.builder().app("shop").region(sandbox.region()).endpoint(sandbox.awsEndpoint().toString())
                .credentialsId("deployer").build();
        PipelineHarness.StepUnderTest step = jenkins().prepare("migrateSchema", Map.of("migrations", "db/migration", "version", "1.0.2",
                "rdsInstanceId", "billing-db", "databaseCredentialsId", "shop-db-migrator", "snapshot", true),
                fleet, new FilePath(workspace.toFile()));
        // Its own database (billing-db): the other tests' migrations stay in shop-db's schema history.
        // The execution as program.dat holds it when Jenkins stopped right after it saved the snapshot's name and
        // before CreateDBSnapshot reached RDS: the name and the deadline set, no snapshot of that name in RDS.
        String name = "fleet-shop-1-0-2-restart-between";
        setField(step.execution(), "snapshotId", name);
        setField(step.execution(), "snapshotDeadlineMillis", System.currentTimeMillis() + Duration.ofMinutes(2).toMillis());
        StepExecution afterRestart = ProgramDat.load(ProgramDat.save(step.execution()));

        afterRestart.onResume();
        Object outcome = step.outcome(Duration.ofMinutes(3));

        String log = step.build().log().text();
        assertThat(log).contains("RDS has no snapshot " + name + ": Jenkins restarted before it was asked for. Taking it now")
                .contains("RDS snapshot " + name + " is available").doesNotContain(MASTER_PASSWORD).doesNotContain(SECRET_KEY);
        assertThat(outcome).as(log).isInstanceOf(Map.class);
        assertThat(((Map<?, ?>) outcome).get("snapshotId")).isEqualTo(name);
        try (RdsClient rds = AwsClients.configure(RdsClient.builder(), aws).build()) {
            DBSnapshot snapshot = rds.describeDBSnapshots(b -> b.dbSnapshotIdentifier(name)).dbSnapshots().get(0);
            assertThat(snapshot.status()).isEqualTo("available");
            assertThat(snapshot.dbInstanceIdentifier()).isEqualTo("billing-db");
        }
        DatabaseServer server = sandbox.databases().get("billing-db");
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl(), "fleet", MASTER_PASSWORD);
             ResultSet rows = connection.createStatement().executeQuery("select count(*) from invoices")) {
            assertThat(rows.next()).as("the migration ran after the snapshot").isTrue();
        }
    }

    /** Sets a field of the step's execution as the saved program.dat would hold it. */
    private static void setField(Object execution, String field, Object value) throws ReflectiveOperationException {
        java.lang.reflect.Field f = execution.getClass().getDeclaredField(field);
        f.setAccessible(true);
        f.set(execution, value);
    }

    /** A controller with the sandbox's AWS keys and the database's master user as credentials. */
    private PipelineHarness jenkins() {
        return new PipelineHarness(dir).stepTimeout(Duration.ofMinutes(3))
                .credentials(new TestAwsCredentials("deployer", ACCESS_KEY, SECRET_KEY),
                        new TestUsernamePassword("shop-db-migrator", "fleet", MASTER_PASSWORD));
    }

    private static Optional<String> migrateStatus(PipelineHarness.Running running) {
        return running.build().running().values().stream()
                .filter(e -> e.getClass().getName().contains("MigrateSchemaStep"))
                .map(StepExecution::getStatus).findFirst();
    }

    private static boolean noThreadInTheStep() {
        return Thread.getAllStackTraces().values().stream().flatMap(Arrays::stream)
                .noneMatch(frame -> frame.getClassName().startsWith("io.jenkins.plugins.fleetdeploy.steps.MigrateSchemaStep")
                        || frame.getClassName().startsWith("io.fleetdeploy.core.rds.")
                        || frame.getClassName().startsWith("io.fleetdeploy.core.schema."));
    }
}
