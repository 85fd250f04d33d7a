package io.fleetdeploy.sandbox;

import static io.fleetdeploy.sandbox.SandboxFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.rds.model.DBInstance;
import software.amazon.awssdk.services.rds.model.DBSnapshot;
import software.amazon.awssdk.services.rds.model.DbInstanceNotFoundException;
import software.amazon.awssdk.services.rds.model.DbSnapshotAlreadyExistsException;
import software.amazon.awssdk.services.rds.model.InvalidDbInstanceStateException;
import software.amazon.awssdk.services.rds.model.RdsException;
import software.amazon.awssdk.services.ssm.model.Parameter;

/**
 * RDS on a real PostgreSQL, and the AWS CLI (/usr/bin/aws, written by no one here) reading what the
 * SDK sees and writing what the SDK then reads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DatabaseAndCliInteropTest {

    private static final Path AWS = Path.of("/usr/bin/aws");
    private static final Duration QUICK = Duration.ofSeconds(30);

    private SandboxFixture fixture;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    void start() {
        fixture = new SandboxFixture("""
                "bootDelayMillis": 50,
                "targetGroups": [{"name": "api", "healthCheck": {"intervalMillis": 300, "timeoutMillis": 200}}],
                "groups": [{"name": "api", "app": "shop", "channel": "none", "minSize": 1, "maxSize": 3,
                            "desiredCapacity": 2, "targetGroups": ["api"], "tags": {"team": "shop"}}],
                "loadBalancers": [{"name": "api", "listeners": [{"port": 8080, "forward": [{"targetGroup": "api"}]}]}],
                "databases": [{"identifier": "shop-db", "dbName": "shop", "masterUsername": "fleet",
                               "masterPassword": "sandbox-db-password"}],
                "parameters": [{"name": "/shop/feature", "value": "on"}]
                """);
        await("two api instances InService", QUICK, () -> fixture.sandbox.groupInstances("api").values().stream()
                .filter("InService"::equals).count() == 2);
    }

    @AfterAll
    void stop() {
        fixture.close();
    }

    @Test
    void dbInstancesAreRealPostgresAndSnapshotsTakeTime() throws SQLException {
        DBInstance db = fixture.rds.describeDBInstances(r -> r.dbInstanceIdentifier("shop-db")).dbInstances().get(0);
        assertThat(db.dbInstanceStatus()).isEqualTo("available");
        assertThat(db.engine()).isEqualTo("postgres");
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://" + db.endpoint().address() + ":"
                + db.endpoint().port() + "/" + db.dbName(), db.masterUsername(), "sandbox-db-password")) {
            connection.createStatement().execute("create table orders(id int primary key)");
            connection.createStatement().execute("insert into orders values (1), (2)");
        }

        DBSnapshot creating = fixture.rds.createDBSnapshot(r -> r.dbInstanceIdentifier("shop-db")
                .dbSnapshotIdentifier("before-v2")).dbSnapshot();
        assertThat(creating.status()).isEqualTo("creating");
        assertThat(fixture.rds.describeDBInstances(r -> r.dbInstanceIdentifier("shop-db")).dbInstances().get(0)
                .dbInstanceStatus()).isEqualTo("backing-up");
        assertThatThrownBy(() -> fixture.rds.createDBSnapshot(r -> r.dbInstanceIdentifier("shop-db")
                .dbSnapshotIdentifier("another"))).isInstanceOf(InvalidDbInstanceStateException.class);
        await("snapshot before-v2 is available", QUICK, () -> "available".equals(fixture.rds.describeDBSnapshots(
                r -> r.dbSnapshotIdentifier("before-v2")).dbSnapshots().get(0).status()));
        assertThat(fixture.rds.describeDBInstances(r -> r.dbInstanceIdentifier("shop-db")).dbInstances().get(0)
                .dbInstanceStatus()).isEqualTo("available");
        assertThat(fixture.rds.describeDBSnapshots(r -> r.dbInstanceIdentifier("shop-db")).dbSnapshots())
                .extracting(DBSnapshot::dbSnapshotIdentifier).containsExactly("before-v2");

        assertThatThrownBy(() -> fixture.rds.createDBSnapshot(r -> r.dbInstanceIdentifier("shop-db")
                .dbSnapshotIdentifier("before-v2"))).isInstanceOf(DbSnapshotAlreadyExistsException.class);
        assertThatThrownBy(() -> fixture.rds.createDBSnapshot(r -> r.dbInstanceIdentifier("shop-db")
                .dbSnapshotIdentifier("bad--id"))).isInstanceOf(RdsException.class)
                .satisfies(e -> assertThat(((RdsException) e).awsErrorDetails().errorCode()).isEqualTo("InvalidParameterValue"));
        assertThatThrownBy(() -> fixture.rds.describeDBInstances(r -> r.dbInstanceIdentifier("nope")))
                .isInstanceOf(DbInstanceNotFoundException.class);
    }

    @Test
    void theAwsCliReadsWhatTheSdkReads() throws Exception {
        AutoScalingGroup group = fixture.autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames("api"))
                .autoScalingGroups().get(0);
        JsonNode cliGroup = cli("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "api")
                .get("AutoScalingGroups").get(0);
        assertThat(cliGroup.get("AutoScalingGroupName").asText()).isEqualTo(group.autoScalingGroupName());
        assertThat(cliGroup.get("AutoScalingGroupARN").asText()).isEqualTo(group.autoScalingGroupARN());
        assertThat(cliGroup.get("DesiredCapacity").asInt()).isEqualTo(group.desiredCapacity());
        assertThat(cliGroup.get("MinSize").asInt()).isEqualTo(group.minSize());
        assertThat(cliGroup.get("MaxSize").asInt()).isEqualTo(group.maxSize());
        assertThat(texts(cliGroup.get("TargetGroupARNs"), null)).isEqualTo(group.targetGroupARNs());
        assertThat(texts(cliGroup.get("Instances"), "InstanceId"))
                .isEqualTo(group.instances().stream().map(i -> i.instanceId()).toList());
        assertThat(texts(cliGroup.get("Instances"), "LifecycleState"))
                .isEqualTo(group.instances().stream().map(i -> i.lifecycleStateAsString()).toList());
        assertThat(texts(cliGroup.get("Tags"), "Key")).containsExactly("team");

        String targetGroupArn = group.targetGroupARNs().get(0);
        await("both targets have left the initial state", QUICK, () -> fixture.elb.describeTargetHealth(
                r -> r.targetGroupArn(targetGroupArn)).targetHealthDescriptions().stream()
                .noneMatch(t -> t.targetHealth().stateAsString().equals("initial")));
        List<TargetHealthDescription> targets = fixture.elb.describeTargetHealth(r -> r.targetGroupArn(targetGroupArn))
                .targetHealthDescriptions();
        JsonNode cliTargets = cli("elbv2", "describe-target-health", "--target-group-arn", targetGroupArn)
                .get("TargetHealthDescriptions");
        assertThat(cliTargets).hasSize(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            assertThat(cliTargets.get(i).get("Target").get("Id").asText()).isEqualTo(targets.get(i).target().id());
            assertThat(cliTargets.get(i).get("Target").get("Port").asInt()).isEqualTo(targets.get(i).target().port());
            assertThat(cliTargets.get(i).get("TargetHealth").get("State").asText())
                    .isEqualTo(targets.get(i).targetHealth().stateAsString());
            assertThat(cliTargets.get(i).get("TargetHealth").path("Reason").asText(null))
                    .isEqualTo(targets.get(i).targetHealth().reasonAsString());
        }

        Parameter parameter = fixture.ssm.getParameter(r -> r.name("/shop/feature")).parameter();
        JsonNode cliParameter = cli("ssm", "get-parameter", "--name", "/shop/feature").get("Parameter");
        assertThat(cliParameter.get("Value").asText()).isEqualTo(parameter.value());
        assertThat(cliParameter.get("Version").asLong()).isEqualTo(parameter.version());
        assertThat(cliParameter.get("Type").asText()).isEqualTo(parameter.typeAsString());
        assertThat(cliParameter.get("ARN").asText()).isEqualTo(parameter.arn());

        DBInstance db = fixture.rds.describeDBInstances(r -> r.dbInstanceIdentifier("shop-db")).dbInstances().get(0);
        JsonNode cliDb = cli("rds", "describe-db-instances", "--db-instance-identifier", "shop-db").get("DBInstances").get(0);
        assertThat(cliDb.get("DBInstanceIdentifier").asText()).isEqualTo(db.dbInstanceIdentifier());
        assertThat(cliDb.get("Engine").asText()).isEqualTo(db.engine());
        assertThat(cliDb.get("EngineVersion").asText()).isEqualTo(db.engineVersion());
        assertThat(cliDb.get("Endpoint").get("Address").asText()).isEqualTo(db.endpoint().address());
        assertThat(cliDb.get("Endpoint").get("Port").asInt()).isEqualTo(db.endpoint().port());
        assertThat(cliDb.get("MasterUsername").asText()).isEqualTo(db.masterUsername());
        assertThat(cliDb.get("DBInstanceArn").asText()).isEqualTo(db.dbInstanceArn());
    }

    @Test
    void theSdkReadsWhatTheAwsCliWrote() throws Exception {
        cli("ssm", "put-parameter", "--name", "/shop/written-by-cli", "--type", "String", "--value", "from the cli");
        assertThat(fixture.ssm.getParameter(r -> r.name("/shop/written-by-cli")).parameter().value()).isEqualTo("from the cli");

        cli("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "api", "--desired-capacity", "3");
        assertThat(fixture.autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames("api")).autoScalingGroups()
                .get(0).desiredCapacity()).isEqualTo(3);
        CliResult refused = run("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "api",
                "--desired-capacity", "9");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stderr()).contains("ValidationError").contains("above max value 3");
        fixture.autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("api").desiredCapacity(2));
    }

    private JsonNode cli(String... args) throws IOException, InterruptedException {
        CliResult result = run(args);
        assertThat(result.exitCode()).as("aws " + String.join(" ", args) + ": " + result.stderr()).isZero();
        return result.stdout().isBlank() ? json.createObjectNode() : json.readTree(result.stdout());
    }

    private record CliResult(int exitCode, String stdout, String stderr) {
    }

    private CliResult run(String... args) throws IOException, InterruptedException {
        assertThat(Files.isExecutable(AWS)).as("/usr/bin/aws (apt-get install -y awscli)").isTrue();
        List<String> command = new ArrayList<>(List.of(AWS.toString(), "--endpoint-url",
                fixture.sandbox.awsEndpoint().toString(), "--region", fixture.sandbox.region(), "--output", "json"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> name.startsWith("AWS_"));
        env.put("AWS_ACCESS_KEY_ID", SandboxFixture.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", SandboxFixture.SECRET_KEY);
        env.put("AWS_CONFIG_FILE", "/nonexistent");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_PAGER", "");
        Path out = Files.createTempFile("aws", ".out");
        Path err = Files.createTempFile("aws", ".err");
        try {
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("aws " + String.join(" ", args) + " finishes").isTrue();
            return new CliResult(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static List<String> texts(JsonNode array, String field) {
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(field == null ? node.asText() : node.get(field).asText()));
        return values;
    }
}
