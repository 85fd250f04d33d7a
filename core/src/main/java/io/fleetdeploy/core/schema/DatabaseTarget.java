package io.fleetdeploy.core.schema;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.rds.RdsDatabases;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which database to connect to and how to log in. Either a JDBC URL or an RDS instance identifier
 * (DescribeDBInstances gives host, port and engine); when both are given the URL is used to
 * connect and the identifier for snapshots.
 *
 * @param jdbcUrl        null when the database is found through RDS
 * @param rdsInstanceId  an RDS DB instance identifier; null for a plain JDBC database
 * @param databaseName   the database to use on an RDS instance; null: the instance's DBName
 * @param user           null: the URL's user, or the RDS instance's master user
 * @param password       null when {@code iamAuth} or when the server needs none
 * @param iamAuth        log in with an RDS IAM authentication token instead of a password
 * @param tls            TLS settings passed to the driver
 * @param jdbcProperties more driver properties (never user or password: those have their own fields)
 */
public record DatabaseTarget(
        String jdbcUrl,
        String rdsInstanceId,
        String databaseName,
        String user,
        Secret password,
        boolean iamAuth,
        TlsOptions tls,
        Map<String, String> jdbcProperties) {

    public DatabaseTarget {
        tls = tls == null ? TlsOptions.DRIVER_DEFAULT : tls;
        jdbcProperties = jdbcProperties == null ? Map.of() : Map.copyOf(jdbcProperties);
    }

    public static DatabaseTarget jdbc(String jdbcUrl, String user, Secret password) {
        return new DatabaseTarget(jdbcUrl, null, null, user, password, false, null, null);
    }

    public static DatabaseTarget rds(String instanceId, String user) {
        return new DatabaseTarget(null, instanceId, null, user, null, false, null, null);
    }

    public DatabaseTarget withPassword(Secret newPassword) {
        return new DatabaseTarget(jdbcUrl, rdsInstanceId, databaseName, user, newPassword, iamAuth, tls, jdbcProperties);
    }

    public DatabaseTarget withIamAuth(boolean useIamAuth) {
        return new DatabaseTarget(jdbcUrl, rdsInstanceId, databaseName, user, password, useIamAuth, tls, jdbcProperties);
    }

    public DatabaseTarget withRdsInstance(String instanceId) {
        return new DatabaseTarget(jdbcUrl, instanceId, databaseName, user, password, iamAuth, tls, jdbcProperties);
    }

    public DatabaseTarget withDatabaseName(String name) {
        return new DatabaseTarget(jdbcUrl, rdsInstanceId, name, user, password, iamAuth, tls, jdbcProperties);
    }

    public DatabaseTarget withTls(TlsOptions newTls) {
        return new DatabaseTarget(jdbcUrl, rdsInstanceId, databaseName, user, password, iamAuth, newTls, jdbcProperties);
    }

    public DatabaseTarget withJdbcProperties(Map<String, String> properties) {
        return new DatabaseTarget(jdbcUrl, rdsInstanceId, databaseName, user, password, iamAuth, tls, properties);
    }

    /** Every problem with these settings at once, as one invalid-input error; nothing is contacted. */
    public void validate() {
        List<String> problems = new ArrayList<>();
        if (isBlank(jdbcUrl) && isBlank(rdsInstanceId)) {
            problems.add("neither a JDBC URL nor an RDS instance identifier was given");
        }
        if (!isBlank(jdbcUrl)) {
            try {
                JdbcLocation.parse(jdbcUrl);
            } catch (FleetDeployException e) {
                problems.add(e.whatFailed());
            }
            if (jdbcUrl.toLowerCase(Locale.ROOT).contains("password=")) {
                problems.add("the JDBC URL carries a password; give it as a password option (from an environment variable or a file) instead");
            }
        }
        if (!isBlank(rdsInstanceId) && !RdsDatabases.isInstanceIdentifier(rdsInstanceId)) {
            problems.add("the RDS instance identifier '" + rdsInstanceId + "' is not valid (1 to 63 letters, digits or"
                    + " hyphens, starting with a letter, no two hyphens in a row, not ending with a hyphen)");
        }
        if (iamAuth && password != null) {
            problems.add("both a password and IAM authentication were asked for; choose one");
        }
        if (iamAuth && isBlank(rdsInstanceId) && isBlank(user)) {
            problems.add("IAM authentication needs the database user the token is for");
        }
        for (String key : jdbcProperties.keySet()) {
            String lower = key.toLowerCase(Locale.ROOT);
            if (lower.equals("password") || lower.equals("user")) {
                problems.add("the JDBC property '" + key + "' must be given through its own option, not as a JDBC property");
            }
        }
        if (tls.rootCertificate() != null && !Files.isReadable(tls.rootCertificate())) {
            problems.add("the TLS root certificate " + tls.rootCertificate() + " cannot be read");
        }
        if (!problems.isEmpty()) {
            throw FleetDeployException.invalidInput(
                    "The database settings are not usable: " + String.join("; ", problems) + ".",
                    "Correct the database options and run again.");
        }
    }

    static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
