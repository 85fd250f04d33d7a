package io.fleetdeploy.core.rds;

/**
 * What fleet-deploy needs to know about an RDS DB instance to connect to it.
 *
 * @param engine       RDS's engine name: postgres, mysql, mariadb, aurora-postgresql, ...
 * @param databaseName the instance's initial database (DBName); may be null
 */
public record RdsInstance(
        String identifier,
        String engine,
        String host,
        int port,
        String databaseName,
        String masterUsername,
        boolean iamAuthenticationEnabled,
        String status) {
}
