package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.DatabaseServers;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import io.fleetdeploy.core.testing.TestDatabase;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import io.jenkins.plugins.fleetdeploy.harness.TestUsernamePassword;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The examples as a team would run them: real sh for the build, publishRelease against S3 (S3Proxy),
 * migrateSchema and flipSchemaKey against a real PostgreSQL. Until the sandbox cloud is in the
 * reactor, the Auto Scaling and load balancer steps are bound (every argument checked as Jenkins
 * would) but not run, and the log says so.
 */
@ExtendWith(DatabaseServers.class)
class ExampleJenkinsfilesTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
        "push.Jenkinsfile,       v1, v2, 1.4.2, orders, payments",
        "pull.Jenkinsfile,       v2, v3, 2.0.2, jobs,   job_runs",
        "blue-green.Jenkinsfile, v4, v5, 3.1.2, carts,  cart_items",
    })
    void runsEndToEnd(String example, String keyBefore, String keyAfter, String version, String previousTable, String table,
                      DatabaseServers.Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        PipelineHarness jenkins = harness(db).bindOnly("rolloutGroup", "drainGroup", "switchTraffic");
        keyedAsThePreviousReleaseLeftIt(jenkins, db, previousTable, keyBefore);

        BuildResult build = jenkins.run(example(example), Map.of());

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(S3.objects()).containsKey("shop/releases/" + version + "/manifest.json");
        assertThat(db.hasTable(table)).as("the release's new migration ran").isTrue();
        assertThat(db.queryValue("select schema_key from fleet_schema_key where app = 'shop'")).isEqualTo(keyAfter);
        assertThat(build.log()).contains("bound (").doesNotContain(db.password()).doesNotContain(S3.secretKey());
    }

    /**
     * The pull example flips the key before the workers converge; when the pull fails (it has moved the channel back),
     * its catch flips the key back to the previous release's and the build fails with the rollout's message.
     */
    @Test
    void pullGivesTheKeyBackWhenTheRolloutFails(DatabaseServers.Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        String failure = "rolloutGroup on shop-workers ended ROLLED_BACK (operation rollout-pull-shop-workers-1): unhealthy on 2.0.3";
        PipelineHarness jenkins = harness(db).bindOnlyAndFail("rolloutGroup", failure);
        keyedAsThePreviousReleaseLeftIt(jenkins, db, "jobs", "v2");

        BuildResult build = jenkins.run(example("pull.Jenkinsfile"), Map.of("VERSION", "2.0.3"));

        assertThat(build.result()).as(build.log()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: " + failure).doesNotContain(db.password());
        assertThat(db.hasTable("job_runs")).as("the migration stays: the old code runs on the expanded schema").isTrue();
        assertThat(db.queryValue("select schema_key from fleet_schema_key where app = 'shop'")).isEqualTo("v2");
        assertThat(build.log().indexOf("[Pipeline] flipSchemaKey", build.log().indexOf("[Pipeline] rolloutGroup")))
                .as("a flip after the rollout: %s", build.log()).isPositive();
    }

    private PipelineHarness harness(TestDatabase db) {
        return new PipelineHarness(dir)
                .credentials(new TestAwsCredentials("shop-deployer", S3.accessKey(), S3.secretKey()),
                        new TestUsernamePassword("shop-db-migrator", db.user(), db.password()))
                .env("FLEET_ENDPOINT", S3.endpoint().toString())
                .env("FLEET_BUCKET", S3.bucket())
                .env("AWS_REGION", "us-east-1")
                .env("SHOP_DB_URL", db.jdbcUrl());
    }

    /** The database as the previous release left it: its migration V1 applied, and keyed. */
    private static void keyedAsThePreviousReleaseLeftIt(PipelineHarness jenkins, TestDatabase db, String previousTable, String key)
            throws Exception {
        String login = "jdbcUrl: '" + db.jdbcUrl() + "', databaseCredentialsId: 'shop-db-migrator'";
        String v1 = "create table if not exists " + previousTable + " (id int primary key);\\n";
        BuildResult first = jenkins.run("node {\n  writeFile file: 'setup/V1__" + previousTable + ".sql', text: '" + v1 + "'\n"
                + "  migrateSchema app: 'shop', migrations: 'setup', " + login + "\n"
                + "  flipSchemaKey app: 'shop', to: '" + key + "', expectUnset: true, " + login + "\n}\n");
        assertThat(first.result()).as(first.log()).isEqualTo("SUCCESS");
    }

    private static String example(String name) throws Exception {
        return Files.readString(Path.of(System.getProperty("fleetdeploy.examples"), name));
    }
}
