package io.fleetdeploy.core.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * A fresh, empty database on one of the shared test servers, owned by an application user that
 * logs in with a password (so that tests can check the password never shows up anywhere).
 *
 * @param engine   "postgres" or "mariadb"
 * @param jdbcUrl  the URL of this database, without credentials
 * @param user     the application user, owner of the database
 * @param password that user's password
 * @param host     always 127.0.0.1
 * @param name     the database name
 */
public record TestDatabase(String engine, String jdbcUrl, String user, String password, String host, int port, String name) {

    public Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        return DriverManager.getConnection(jdbcUrl, properties);
    }

    /** Whether a table of that name exists in this database's default schema. */
    public boolean hasTable(String table) throws SQLException {
        String schema = engine.equals("postgres") ? "current_schema()" : "DATABASE()";
        try (Connection connection = connect();
             java.sql.PreparedStatement query = connection.prepareStatement(
                     "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = " + schema + " AND table_name = ?")) {
            query.setString(1, table);
            try (java.sql.ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getInt(1) > 0;
            }
        }
    }

    /** The first column of the first row of a query (null when there is no row). */
    public Object queryValue(String sql) throws SQLException {
        try (Connection connection = connect();
             java.sql.Statement statement = connection.createStatement();
             java.sql.ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getObject(1) : null;
        }
    }

    @Override
    public String toString() {
        return engine + " database " + name + " at " + host + ":" + port;
    }
}
