package io.jenkins.plugins.fleetdeploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl;
import io.fleetdeploy.core.testing.Await;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jvnet.hudson.test.junit.jupiter.JenkinsSessionExtension;

/**
 * A controller restart while migrateSchema migrates: the migration is run again after the restart
 * and the build succeeds with every migration applied once. V2 waits on an advisory lock the test
 * holds across the restart, so the restart happens mid-migration for certain.
 */
class MigrateSchemaRestartTest {

    private static final int BLOCKER = 4242;

    @RegisterExtension
    private final JenkinsSessionExtension sessions = new JenkinsSessionExtension();

    @Test
    void aRestartMidMigrationRunsTheMigrationAgain() throws Throwable {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start();
             Connection blocker = DriverManager.getConnection(postgres.getJdbcUrl("postgres", "postgres"))) {
            String jdbcUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
            try (Statement statement = blocker.createStatement()) {
                statement.execute("select pg_advisory_lock(" + BLOCKER + ")");
            }
            sessions.then(r -> {
                SystemCredentialsProvider.getInstance().getCredentials().add(new UsernamePasswordCredentialsImpl(
                        CredentialsScope.GLOBAL, "db", "migrations", "postgres", "unused-with-trust-auth"));
                SystemCredentialsProvider.getInstance().save();
                WorkflowJob p = r.createProject(WorkflowJob.class, "shop");
                p.setDefinition(new CpsFlowDefinition("node {\n"
                        + "  writeFile file: 'db/migration/V1__orders.sql', text: 'create table orders (id int primary key);'\n"
                        + "  writeFile file: 'db/migration/V2__order_total.sql', text: 'alter table orders add column total int;\\n"
                        + "select pg_advisory_xact_lock(" + BLOCKER + ");\\ncreate index orders_total on orders (total);'\n"
                        + "  def m = migrateSchema migrations: 'db/migration', app: 'shop', jdbcUrl: '" + jdbcUrl
                        + "', databaseCredentialsId: 'db'\n"
                        + "  echo \"before ${m.versionBefore} applied ${m.applied} now ${m.versionAfter}\"\n"
                        + "}\n", true));
                p.scheduleBuild2(0).waitForStart();
                Await.until("V2 waits on the database for the test's lock", Duration.ofMinutes(2),
                        () -> waitingForBlocker(blocker) == 1);
            });
            sessions.then(r -> {
                WorkflowRun b = r.jenkins.getItemByFullName("shop", WorkflowJob.class).getBuildByNumber(1);
                try (Statement statement = blocker.createStatement()) {
                    statement.execute("select pg_advisory_unlock(" + BLOCKER + ")");
                }
                r.waitForCompletion(b);
                r.assertBuildStatusSuccess(b);
                r.assertLogContains("Jenkins restarted during the migration: running it again", b);
                r.assertLogContains("migrateSchema re-ran the migration after a controller restart", b);
                r.assertLogContains("before null applied [1, 2] now 2", b);
            });
            assertThat(history(blocker)).as("each migration applied once, none failed").containsExactly("1 true", "2 true");
        }
    }

    private static long waitingForBlocker(Connection connection) {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                     + " and query like '%pg_advisory_xact_lock(" + BLOCKER + ")%'")) {
            rows.next();
            return rows.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("Reading pg_stat_activity failed: " + e.getMessage(), e);
        }
    }

    private static List<String> history(Connection connection) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("select version, success from flyway_schema_history order by installed_rank")) {
            while (result.next()) {
                rows.add(result.getString(1) + " " + result.getBoolean(2));
            }
        }
        return rows;
    }
}
