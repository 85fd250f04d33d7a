package io.jenkins.plugins.fleetdeploy.steps;

import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import hudson.model.Run;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.schema.DatabaseTarget;
import io.fleetdeploy.core.schema.Secret;
import io.fleetdeploy.core.schema.TlsOptions;
import io.jenkins.plugins.fleetdeploy.FleetConnection;
import java.io.Serializable;
import java.util.Locale;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * The database arguments of migrateSchema and flipSchemaKey: a JDBC URL or an RDS instance, and
 * how to log in (a "Username with password" credential, or an RDS IAM token).
 */
public abstract class DatabaseStep extends FleetStep {

    static final String DATABASE_CREDENTIAL_KINDS = "'Username with password' (the database user and password)";

    private String jdbcUrl;
    private String rdsInstanceId;
    private String databaseName;
    private String databaseCredentialsId;
    private boolean iamAuth;
    private String tls;

    /** Whether the step talks to AWS at all (RDS describe, snapshot or IAM token). */
    boolean needsAws() {
        return database().needsAws();
    }

    /** The database target with its login resolved from the credential; tracks the credential. */
    DatabaseTarget target(Run<?, ?> run) {
        return database().target(run);
    }

    /** The database arguments, as a running step keeps them across a controller restart. */
    Database database() {
        return new Database(jdbcUrl, rdsInstanceId, databaseName, databaseCredentialsId, iamAuth, tls);
    }

    /**
     * The database arguments: ids and names only, never a secret, so that a step saved with the
     * Pipeline (program.dat) can log in again after a restart.
     */
    record Database(String jdbcUrl, String rdsInstanceId, String databaseName, String databaseCredentialsId, boolean iamAuth,
                    String tls) implements Serializable {

        boolean needsAws() {
            return rdsInstanceId != null && !rdsInstanceId.isBlank() || iamAuth;
        }

        /** The database target with its login resolved from the credential; tracks the credential. */
        DatabaseTarget target(Run<?, ?> run) {
            String user = null;
            Secret password = null;
            if (databaseCredentialsId != null && !databaseCredentialsId.isBlank()) {
                StandardUsernamePasswordCredentials login = CredentialsProvider.findCredentialById(
                        databaseCredentialsId, StandardUsernamePasswordCredentials.class, run);
                if (login == null) {
                    throw FleetConnection.missingOrWrongType(databaseCredentialsId, run, DATABASE_CREDENTIAL_KINDS);
                }
                CredentialsProvider.track(run, login);
                user = login.getUsername();
                password = iamAuth ? null : Secret.of(login.getPassword().getPlainText());
            }
            if ((jdbcUrl == null || jdbcUrl.isBlank()) && (rdsInstanceId == null || rdsInstanceId.isBlank())) {
                throw FleetDeployException.invalidInput("No database was given.",
                        "Pass jdbcUrl: (e.g. jdbc:postgresql://db:5432/shop) or rdsInstanceId: (an RDS DB instance identifier).");
            }
            DatabaseTarget target = new DatabaseTarget(blankToNull(jdbcUrl), blankToNull(rdsInstanceId), blankToNull(databaseName),
                    user, password, iamAuth, tlsOptions(), null);
            target.validate();
            return target;
        }

        private TlsOptions tlsOptions() {
            if (tls == null || tls.isBlank()) {
                return TlsOptions.DRIVER_DEFAULT;
            }
            try {
                return new TlsOptions(TlsOptions.Mode.valueOf(tls.strip().toUpperCase(Locale.ROOT).replace('-', '_')), null);
            } catch (IllegalArgumentException e) {
                throw FleetDeployException.invalidInput("The TLS mode '" + tls + "' is not one fleet-deploy knows.",
                        "Use disable, require, verify_ca or verify_full (or leave it out for the driver's default).");
            }
        }

        private static String blankToNull(String value) {
            return value == null || value.isBlank() ? null : value.strip();
        }
    }

    /** RDS access only when the target needs it; otherwise any attempt to reach RDS is a clear error. */
    static RdsDatabases rds(FleetConnection connection) {
        if (connection != null) {
            return RdsDatabases.of(connection.aws());
        }
        return new RdsDatabases(() -> {
            throw FleetDeployException.invalidInput("This database is not an RDS instance, so RDS cannot be used.",
                    "Give rdsInstanceId: for snapshots or IAM authentication.");
        });
    }

    public String getJdbcUrl() {
        return jdbcUrl;
    }

    @DataBoundSetter
    public void setJdbcUrl(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
    }

    public String getRdsInstanceId() {
        return rdsInstanceId;
    }

    @DataBoundSetter
    public void setRdsInstanceId(String rdsInstanceId) {
        this.rdsInstanceId = rdsInstanceId;
    }

    public String getDatabaseName() {
        return databaseName;
    }

    @DataBoundSetter
    public void setDatabaseName(String databaseName) {
        this.databaseName = databaseName;
    }

    public String getDatabaseCredentialsId() {
        return databaseCredentialsId;
    }

    @DataBoundSetter
    public void setDatabaseCredentialsId(String databaseCredentialsId) {
        this.databaseCredentialsId = databaseCredentialsId;
    }

    public boolean isIamAuth() {
        return iamAuth;
    }

    @DataBoundSetter
    public void setIamAuth(boolean iamAuth) {
        this.iamAuth = iamAuth;
    }

    public String getTls() {
        return tls;
    }

    @DataBoundSetter
    public void setTls(String tls) {
        this.tls = tls;
    }
}
