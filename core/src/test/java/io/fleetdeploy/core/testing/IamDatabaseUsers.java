package io.fleetdeploy.core.testing;

import io.fleetdeploy.sandbox.runtime.DatabaseServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/** What an RDS user does before IAM logins, on a sandbox database: a user granted rds_iam. */
public final class IamDatabaseUsers {

    private IamDatabaseUsers() {
    }

    /**
     * Creates {@code user}, grants it rds_iam, and creates {@code database} where it may create tables.
     * As on RDS the master cannot give the database to a role it is not a member of (and becoming a
     * member of an rds_iam user would make the master an IAM user too), so the master owns it.
     */
    public static void create(DatabaseServer server, String masterPassword, String user, String database)
            throws SQLException {
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl(), server.masterUser(), masterPassword);
             Statement sql = connection.createStatement()) {
            sql.execute("CREATE USER " + user);
            sql.execute("GRANT rds_iam TO " + user);
            sql.execute("CREATE DATABASE " + database);
            sql.execute("GRANT CONNECT, CREATE, TEMPORARY ON DATABASE " + database + " TO " + user);
        }
    }
}
