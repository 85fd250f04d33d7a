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

    public DatabaseConnector(RdsDatabases rds) {
        this.rds = Objects.requireNonNull(rds, "rds");
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
        Secret secret = target.password();
        if (target.iamAuth()) {
            secret = Secret.of(rds.authenticationToken(location.host(), location.port(), user));
            progress.info("Signed an RDS IAM authentication token for user " + user);
        }
        ConnectedDatabase database = new ConnectedDatabase(location, user, secret, properties);
        database.checkConnection();
        return database;
    }
}
