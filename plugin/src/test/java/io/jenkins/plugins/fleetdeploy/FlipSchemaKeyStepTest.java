package io.jenkins.plugins.fleetdeploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl;
import hudson.model.Result;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * flipSchemaKey in a real Jenkins against a real PostgreSQL, logging in with a Username with password
 * credential: a compare-and-set that wins moves the key (and a second one from there), a build
 * expecting a key that is no longer there loses the compare-and-set, fails saying so and changes
 * nothing (key and history as the winner left them). The same Jenkinsfiles as plugin-offline's
 * SchemaStepsTest.
 */
@WithJenkins
class FlipSchemaKeyStepTest {

    private static final String USER = "shop_deployer";
    private static final String PASSWORD = "flip-password-123";

    @Test
    void aFlipThatWinsMovesTheKeyAndALostCompareAndSetChangesNothing(JenkinsRule r) throws Exception {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start()) {
            String jdbcUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/shop";
            try (Connection admin = DriverManager.getConnection(postgres.getJdbcUrl("postgres", "postgres"));
                 Statement statement = admin.createStatement()) {
                statement.execute("create role " + USER + " login password '" + PASSWORD + "'");
                statement.execute("create database shop owner " + USER);
            }
            SystemCredentialsProvider.getInstance().getCredentials().add(
                    new UsernamePasswordCredentialsImpl(CredentialsScope.GLOBAL, "db", "the shop database", USER, PASSWORD));
            String database = "jdbcUrl: '" + jdbcUrl + "', databaseCredentialsId: 'db'";

            WorkflowRun winner = r.buildAndAssertSuccess(SandboxPipelines.job(r, "flip", "withFleet(app: 'shop') {\n"
                    + "  def f = flipSchemaKey to: 'v1', expectUnset: true, " + database + "\n"
                    + "  echo \"key ${f.fromKey} -> ${f.toKey}\"\n"
                    + "  def g = flipSchemaKey to: 'v2', expect: 'v1', note: 'release 2', " + database + "\n"
                    + "  echo \"key ${g.fromKey} -> ${g.toKey} forced=${g.forced}\"\n"
                    + "}\n"));

            r.assertLogContains("key null -> v1", winner);
            r.assertLogContains("key v1 -> v2 forced=false", winner);
            r.assertLogNotContains(PASSWORD, winner);
            assertThat(winner.getAction(FleetSummaryAction.class).getOperations()).extracting(FleetOperationRecord::getOutcome)
                    .containsExactly("SUCCEEDED", "SUCCEEDED");
            assertThat(key(postgres)).isEqualTo("v2");

            // A second pipeline that read v1 before the winner's last flip: its compare-and-set finds v2 and loses.
            WorkflowRun loser = r.buildAndAssertStatus(Result.FAILURE, SandboxPipelines.job(r, "late-flip",
                    "withFleet(app: 'shop') {\n  flipSchemaKey to: 'v3', expect: 'v1', " + database + "\n}\n"));

            r.assertLogContains("Flip of the schema key of app 'shop' to 'v3' refused: the key is 'v2', expected 'v1'.", loser);
            r.assertLogContains("Nothing was changed.", loser);
            r.assertLogNotContains(PASSWORD, loser);
            assertThat(loser.getAction(FleetSummaryAction.class).getOperations()).extracting(FleetOperationRecord::getOutcome)
                    .containsExactly("FAILED");
            assertThat(key(postgres)).as("the key as the winner left it").isEqualTo("v2");
            assertThat(historyRows(postgres)).as("only the winner's two flips in the history").isEqualTo(2);
        }
    }

    private static String key(EmbeddedPostgres postgres) throws SQLException {
        try (Connection connection = DriverManager.getConnection(postgres.getJdbcUrl("postgres", "shop"));
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("select schema_key from fleet_schema_key where app = 'shop'")) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    private static long historyRows(EmbeddedPostgres postgres) throws SQLException {
        try (Connection connection = DriverManager.getConnection(postgres.getJdbcUrl("postgres", "shop"));
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("select count(*) from fleet_schema_key_history")) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
