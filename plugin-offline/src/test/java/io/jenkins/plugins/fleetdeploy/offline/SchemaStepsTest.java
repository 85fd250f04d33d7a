package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.testing.DatabaseServers;
import io.fleetdeploy.core.testing.TestDatabase;
import io.jenkins.plugins.fleetdeploy.FleetOperationRecord;
import io.jenkins.plugins.fleetdeploy.FleetSummaryAction;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import io.jenkins.plugins.fleetdeploy.harness.TestUsernamePassword;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** migrateSchema and flipSchemaKey from a Jenkinsfile against a real PostgreSQL, logging in with a Jenkins credential. */
@ExtendWith(DatabaseServers.class)
class SchemaStepsTest {

    @TempDir
    Path dir;

    private static String migrations() {
        return "  writeFile file: 'db/migration/V1__orders.sql', text: 'create table orders (id int primary key);'\n"
                + "  writeFile file: 'db/migration/V2__order_total.sql', text: 'alter table orders add column total int;'\n";
    }

    private static String database(TestDatabase db) {
        return "jdbcUrl: '" + db.jdbcUrl() + "', databaseCredentialsId: 'db'";
    }

    @Test
    void migratesThenFlipsTheKeyAndALosingFlipChangesNothing(DatabaseServers.Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        PipelineHarness jenkins = new PipelineHarness(dir).credentials(new TestUsernamePassword("db", db.user(), db.password()));

        BuildResult build = jenkins.run("node {\n" + migrations()
                + "  withFleet(app: 'shop') {\n"
                + "    def m = migrateSchema migrations: 'db/migration', version: '1.0.0', " + database(db) + "\n"
                + "    echo \"applied ${m.applied} now ${m.versionAfter}\"\n"
                + "    def f = flipSchemaKey to: 'v1', expectUnset: true, " + database(db) + "\n"
                + "    echo \"key ${f.fromKey} -> ${f.toKey}\"\n"
                + "  }\n}\n");

        assertThat(build.result()).as(build.log()).isEqualTo("SUCCESS");
        assertThat(build.log()).contains("applied [1, 2] now 2").contains("key null -> v1").doesNotContain(db.password());
        assertThat(db.hasTable("orders")).isTrue();
        assertThat(build.run().getAction(FleetSummaryAction.class).getOperations())
                .extracting(FleetOperationRecord::getStep, FleetOperationRecord::getOutcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("migrateSchema", "SUCCEEDED"),
                        org.assertj.core.groups.Tuple.tuple("flipSchemaKey", "SUCCEEDED"));

        BuildResult loser = jenkins.run("withFleet(app: 'shop') {\n  flipSchemaKey to: 'v2', expect: 'v0', " + database(db) + "\n}\n");

        assertThat(loser.result()).isEqualTo("FAILURE");
        assertThat(loser.log()).contains("ERROR:").doesNotContain(db.password());
        assertThat(db.queryValue("select schema_key from fleet_schema_key where app = 'shop'")).isEqualTo("v1");
    }

    @Test
    void aDatabaseCredentialOfTheWrongKindSaysWhichKindFitsAndNothingIsMigrated(DatabaseServers.Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        PipelineHarness jenkins = new PipelineHarness(dir).credentials(new TestAwsCredentials("db", "AKIAEXAMPLE", "secret"));

        BuildResult build = jenkins.run("node {\n" + migrations()
                + "  migrateSchema migrations: 'db/migration', app: 'shop', " + database(db) + "\n}\n");

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: The credential 'db' is a TestAwsCredentials")
                .contains("'Username with password'");
        assertThat(db.hasTable("orders")).isFalse();
    }

    @Test
    void flipSchemaKeyNeedsToSayWhatItExpects(DatabaseServers.Postgres postgres) throws Exception {
        TestDatabase db = postgres.newDatabase();
        PipelineHarness jenkins = new PipelineHarness(dir).credentials(new TestUsernamePassword("db", db.user(), db.password()));

        BuildResult build = jenkins.run("flipSchemaKey to: 'v2', app: 'shop', " + database(db) + "\n");

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: flipSchemaKey needs exactly one of expect:, expectUnset: true or force: true.");
        assertThat(db.hasTable("fleet_schema_key")).isFalse();
    }
}
