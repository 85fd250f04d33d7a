package io.fleetdeploy.core.schema;

import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.postgresql.PGConnection;

/**
 * Stops a running migration from another thread (a Jenkins abort, a stopping controller). Flyway
 * has no cancel of its own, and interrupting the migrating thread does not stop a JDBC call that
 * waits for the server, so {@link #request()} does two things: no further migration starts (a
 * Flyway callback refuses the next one before any of its statements ran), and the statement
 * running now is cancelled on the server, which fails that migration; PostgreSQL then rolls it
 * back whole. Whatever the moment, a migration is applied whole or not at all on PostgreSQL.
 */
public final class MigrationStop {

    /**
     * How long a caller waits, after {@link #request()}, for the stopped migration to end and say where
     * the database was left: a cancelled statement ends within moments; a database that does not
     * answer is not waited for.
     */
    public static final Duration REPORT_WITHIN = Duration.ofSeconds(60);

    private volatile boolean requested;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();

    /** Asks the migration to stop; it then fails with a message saying where the database was left. Idempotent. */
    public void request() {
        requested = true;
        for (Connection connection : connections) {
            cancelRunningStatement(connection);
        }
    }

    public boolean requested() {
        return requested;
    }

    /** {@code source}, with each connection it opens known to this stop so its running statement can be cancelled. */
    DataSource tracking(DataSource source) {
        return new Tracking(source);
    }

    /** Refuses to start another migration once a stop was requested (no statement of it ran, so nothing of it remains). */
    Callback refusingNextMigration() {
        return new RefuseNextMigration();
    }

    private void cancelRunningStatement(Connection connection) {
        try {
            if (connection.isClosed()) {
                connections.remove(connection);
            } else if (connection.isWrapperFor(PGConnection.class)) {
                connection.unwrap(PGConnection.class).cancelQuery();
            } else if (connection.isWrapperFor(org.mariadb.jdbc.Connection.class)) {
                connection.unwrap(org.mariadb.jdbc.Connection.class).cancelCurrentQuery();
            }
        } catch (SQLException e) {
            // The connection is gone or idle: no statement of it runs any more.
        }
    }

    private final class RefuseNextMigration implements Callback {
        @Override
        public boolean supports(Event event, Context context) {
            return event == Event.BEFORE_EACH_MIGRATE;
        }

        @Override
        public boolean canHandleInTransaction(Event event, Context context) {
            return true;
        }

        @Override
        public void handle(Event event, Context context) {
            if (requested) {
                // Not a failed migration: thrown before the migration's first statement, nothing is recorded for it.
                throw new FlywayException("Stop requested: " + context.getMigrationInfo().getScript() + " was not started.");
            }
        }

        @Override
        public String getCallbackName() {
            return "fleet-deploy stop";
        }
    }

    private final class Tracking implements DataSource {
        private final DataSource source;

        Tracking(DataSource source) {
            this.source = source;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection connection = source.getConnection();
            connections.add(connection);
            return connection;
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return source.getConnection(username, password);
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return source.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            source.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            source.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return source.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return source.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            return source.unwrap(type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) throws SQLException {
            return source.isWrapperFor(type);
        }
    }
}
