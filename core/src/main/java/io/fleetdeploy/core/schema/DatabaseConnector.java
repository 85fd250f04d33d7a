package io.fleetdeploy.core.schema;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.rds.RdsInstance;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Turns {@link DatabaseTarget} settings into a {@link ConnectedDatabase}: finds an RDS instance's
 * endpoint and engine, signs an IAM token when asked, applies TLS and timeouts, and proves the
 * login works before the caller changes anything.
 */
public final class DatabaseConnector {

    private final RdsDatabases rds;
    private final IamTokenSigner iamTokens;

    public DatabaseConnector(RdsDatabases rds) {
        this(rds, rds::authenticationToken);
    }

    /** With another token signer: tests that follow each login's token. */
    DatabaseConnector(RdsDatabases rds, IamTokenSigner iamTokens) {
        this.rds = Objects.requireNonNull(rds, "rds");
        this.iamTokens = Objects.requireNonNull(iamTokens, "iamTokens");
    }

    public ConnectedDatabase connect(DatabaseTarget target, ProgressListener progress) {
        target.validate();
        JdbcLocation location;
        String user = target.user();
        if (!DatabaseTarget.isBlank(target.jdbcUrl())) {
            location = JdbcLocation.parse(target.jdbcUrl());
        } else {
            RdsInstance instance = rds.describe(target.rdsInstanceId());
            Engine engine = Engine.ofRdsEngine(instance.engine()).orElseThrow(() -> FleetDeployException.invalidInput(
                    "The RDS DB instance '" + instance.identifier() + "' runs " + instance.engine()
                            + ", which fleet-deploy does not migrate (PostgreSQL, MariaDB and MySQL only).",
                    "Use an instance of a supported engine."));
            String database = target.databaseName() != null ? target.databaseName() : instance.databaseName();
            location = JdbcLocation.of(engine, instance.host(), instance.port(), database);
            user = user != null ? user : instance.masterUsername();
            progress.info("RDS instance " + instance.identifier() + " is " + location.describe());
        }
        Map<String, String> properties = new HashMap<>(target.jdbcProperties());
        location.engine().putDefaultTimeouts(properties);
        location.engine().putTls(target.tls(), properties);
        ConnectedDatabase database;
        if (target.iamAuth()) {
            // A token is valid for 15 minutes and a migration or a lock wait can take longer: every
            // new connection logs in with a token signed for it (signing is local, no AWS call).
            String host = location.host();
            int port = location.port();
            String tokenUser = user;
            database = new ConnectedDatabase(location, user, () -> Secret.of(iamTokens.sign(host, port, tokenUser)),
                    true, properties);
            progress.info("Logging in to " + host + ":" + port + " as user " + user
                    + " with RDS IAM authentication tokens (one signed for each new connection)");
        } else {
            Secret password = target.password();
            database = new ConnectedDatabase(location, user, () -> password, false, properties);
        }
        database.checkConnection();
        return database;
    }
}
