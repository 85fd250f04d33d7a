package io.fleetdeploy.core.schema;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * One migrateSchema run at a time per database and history table, for the whole run. Flyway's own
 * lock is taken per migration, so two runs could otherwise share the pending migrations between
 * them; with this lock the second run waits and then finds nothing pending. A session-level lock
 * (PostgreSQL advisory lock, MariaDB/MySQL GET_LOCK) held on its own connection: if this process
 * dies, the server releases it with the connection.
 */
final class MigrationLock implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(250);

    private final Connection connection;
    private final Engine engine;
    private final String name;

    private MigrationLock(Connection connection, Engine engine, String name) {
        this.connection = connection;
        this.engine = engine;
        this.name = name;
    }

    static MigrationLock acquire(ConnectedDatabase database, String historyTable, Duration maxWait, Clock clock, ProgressListener progress,
                                 MigrationStop stop) {
        Connection connection = database.open();
        try {
            String name = lockName(connection, database.engine(), historyTable);
            MigrationLock lock = new MigrationLock(connection, database.engine(), name);
            Instant deadline = clock.instant().plus(maxWait);
            boolean announced = false;
            while (!lock.tryLock()) {
                if (!announced) {
                    progress.info("Another migration of the " + database.describe() + " is running: waiting up to "
                            + maxWait.toSeconds() + " s for it to finish");
                    announced = true;
                }
                if (stop.requested()) {
                    throw new FleetDeployException("migrateSchema was stopped while it waited for another migration of the "
                            + database.describe() + " to finish.", "Nothing was changed by this run.", "Run it again when needed.");
                }
                if (clock.instant().isAfter(deadline)) {
                    throw new FleetDeployException(
                            "Another migration of the " + database.describe() + " held the migration lock for more than "
                                    + maxWait.toSeconds() + " s.",
                            "Nothing was changed by this run.",
                            "Wait for the other migration to finish (its pipeline shows it), then run again.");
                }
                Thread.sleep(POLL.toMillis());
            }
            return lock;
        } catch (SQLException e) {
            closeQuietly(connection);
            throw new FleetDeployException("Taking the migration lock on the " + database.describe() + " failed: "
                    + database.redact(e.getMessage()), "Nothing was changed.", "Check the database, then run again.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(connection);
            throw new FleetDeployException("Interrupted while waiting for the migration lock on the " + database.describe() + ".",
                    "Nothing was changed.", "Run again.", e);
        } catch (RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    /** MariaDB's lock names are server-wide (at most 64 characters), PostgreSQL's keys are per database. */
    private static String lockName(Connection connection, Engine engine, String historyTable) throws SQLException {
        if (engine == Engine.POSTGRESQL) {
            return "fleet-deploy migrate " + historyTable;
        }
        String database = connection.getCatalog() == null ? "" : connection.getCatalog();
        String name = "fleet-migrate:" + database + "." + historyTable;
        return name.length() <= 64 ? name : "fleet-migrate:" + Integer.toHexString(name.hashCode()) + ":" + historyTable;
    }

    private boolean tryLock() throws SQLException {
        String sql = engine == Engine.POSTGRESQL ? "SELECT CASE WHEN pg_try_advisory_lock(hashtext(?)) THEN 1 ELSE 0 END" : "SELECT GET_LOCK(?, 0)";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getInt(1) == 1;
            }
        }
    }

    @Override
    public void close() {
        String sql = engine == Engine.POSTGRESQL ? "SELECT pg_advisory_unlock(hashtext(?))" : "SELECT RELEASE_LOCK(?)";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, name);
            statement.executeQuery().close();
        } catch (SQLException e) {
            // Closing the session below releases the lock as well.
        } finally {
            closeQuietly(connection);
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            // Nothing left to release: the server drops session locks with the connection.
        }
    }
}
