package io.fleetdeploy.core.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.ProgressListener;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The schema key table: per app, the key that may do work, with its history. A flip is a
 * compare-and-set in one transaction (row lock, conditional update, history row and, on
 * PostgreSQL, {@code NOTIFY fleet_schema_key}), so of two pipelines flipping from the same key
 * exactly one wins. Times come from the database's clock, the one all nodes share.
 */
public final class SchemaKeyStore {

    /** The PostgreSQL channel nodes LISTEN on; the payload is JSON {app, schemaKey, previous}. */
    public static final String NOTIFY_CHANNEL = "fleet_schema_key";

    private static final int MAX_ATTEMPTS = 10;
    private static final int MAX_TEXT = 1024;

    private final ConnectedDatabase database;
    private final SchemaKeyTables tables;

    public SchemaKeyStore(ConnectedDatabase database, SchemaKeyTables tables) {
        this.database = Objects.requireNonNull(database, "database");
        this.tables = Objects.requireNonNull(tables, "tables");
    }

    /** The app's key now; empty when none was ever set (or the tables do not exist yet). */
    public Optional<SchemaKeyState> get(String app) {
        Names.requireSafe("app", app);
        try (Connection connection = database.open();
             PreparedStatement query = connection.prepareStatement(
                     "SELECT schema_key, updated_at, updated_by, note FROM " + tables.keyTable() + " WHERE app = ?")) {
            query.setString(1, app);
            try (ResultSet row = query.executeQuery()) {
                return row.next()
                        ? Optional.of(new SchemaKeyState(app, row.getString(1), instant(row, 2), row.getString(3), row.getString(4)))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            if (database.engine().isUndefinedTable(e)) {
                return Optional.empty();
            }
            throw failure("Reading the schema key of app '" + app + "'", e, "Nothing was changed.");
        }
    }

    /** The app's flips, newest first, at most {@code limit}. */
    public List<SchemaKeyChange> history(String app, int limit) {
        Names.requireSafe("app", app);
        if (limit < 1) {
            throw FleetDeployException.invalidInput("The history limit must be at least 1, not " + limit + ".", "Give a positive limit.");
        }
        try (Connection connection = database.open();
             PreparedStatement query = connection.prepareStatement(
                     "SELECT id, from_key, to_key, changed_at, changed_by, note, forced FROM " + tables.historyTable()
                             + " WHERE app = ? ORDER BY id DESC LIMIT ?")) {
            query.setString(1, app);
            query.setInt(2, limit);
            List<SchemaKeyChange> changes = new ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    changes.add(new SchemaKeyChange(row.getLong(1), app, row.getString(2), row.getString(3), instant(row, 4),
                            row.getString(5), row.getString(6), row.getBoolean(7)));
                }
            }
            return changes;
        } catch (SQLException e) {
            if (database.engine().isUndefinedTable(e)) {
                return List.of();
            }
            throw failure("Reading the schema key history of app '" + app + "'", e, "Nothing was changed.");
        }
    }

    /**
     * Moves the app's key from the expected one to {@code request.to()}, or fails with "the key is
     * X, expected Y" and changes nothing. Creates the tables when they are missing.
     *
     * @return the history entry of this flip
     */
    public SchemaKeyChange flip(FlipRequest request, ProgressListener progress) {
        validate(request);
        ensureTables(progress);
        for (int attempt = 1; ; attempt++) {
            try (Connection connection = database.open()) {
                try {
                    SchemaKeyChange change = compareAndSet(connection, request);
                    progress.info("Schema key of " + request.app() + ": " + (change.fromKey() == null ? "(none)" : change.fromKey())
                            + " -> " + change.toKey() + " (by " + change.changedBy() + ")");
                    return change;
                } catch (SQLException e) {
                    rollback(connection);
                    // A deadlock or a racing first insert: the next attempt sees the winner's key.
                    if (attempt >= MAX_ATTEMPTS || !database.engine().isRetryable(e)) {
                        throw e;
                    }
                } catch (RuntimeException e) {
                    rollback(connection);
                    throw e;
                }
            } catch (SQLException e) {
                throw failure("Flipping the schema key of app '" + request.app() + "'", e,
                        "Nothing was changed: the transaction was rolled back.");
            }
        }
    }

    private SchemaKeyChange compareAndSet(Connection connection, FlipRequest request) throws SQLException {
        // InnoDB's default REPEATABLE READ gap-locks the missing row of an app's first key, and racing first
        // inserts then deadlock; READ COMMITTED makes them wait on the key and see the winner's row instead.
        connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        connection.setAutoCommit(false);
        String current;
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT schema_key FROM " + tables.keyTable() + " WHERE app = ? FOR UPDATE")) {
            lock.setString(1, request.app());
            try (ResultSet row = lock.executeQuery()) {
                current = row.next() ? row.getString(1) : null;
            }
        }
        requireExpected(request, current);
        String now = now();
        if (current == null) {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + tables.keyTable()
                    + " (app, schema_key, updated_at, updated_by, note) VALUES (?, ?, " + now + ", ?, ?)")) {
                insert.setString(1, request.app());
                insert.setString(2, request.to());
                insert.setString(3, request.changedBy());
                insert.setString(4, request.note());
                insert.executeUpdate();
            }
        } else {
            try (PreparedStatement update = connection.prepareStatement("UPDATE " + tables.keyTable()
                    + " SET schema_key = ?, updated_at = " + now + ", updated_by = ?, note = ? WHERE app = ? AND schema_key = ?")) {
                update.setString(1, request.to());
                update.setString(2, request.changedBy());
                update.setString(3, request.note());
                update.setString(4, request.app());
                update.setString(5, current);
                if (update.executeUpdate() != 1) {
                    throw new SQLException("The key row changed under its lock", "40001");
                }
            }
        }
        long id;
        try (PreparedStatement history = connection.prepareStatement("INSERT INTO " + tables.historyTable()
                + " (app, from_key, to_key, changed_at, changed_by, note, forced) VALUES (?, ?, ?, " + now + ", ?, ?, ?)",
                new String[] {"id"})) {
            history.setString(1, request.app());
            history.setString(2, current);
            history.setString(3, request.to());
            history.setString(4, request.changedBy());
            history.setString(5, request.note());
            history.setBoolean(6, request.expect() instanceof KeyExpectation.Anything);
            history.executeUpdate();
            try (ResultSet keys = history.getGeneratedKeys()) {
                keys.next();
                id = keys.getLong(1);
            }
        }
        Instant changedAt;
        try (PreparedStatement read = connection.prepareStatement("SELECT changed_at FROM " + tables.historyTable() + " WHERE id = ?")) {
            read.setLong(1, id);
            try (ResultSet row = read.executeQuery()) {
                row.next();
                changedAt = instant(row, 1);
            }
        }
        if (database.engine() == Engine.POSTGRESQL) {
            // Delivered to listeners only when (and if) this transaction commits.
            try (PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
                notify.setString(1, NOTIFY_CHANNEL);
                notify.setString(2, payload(request.app(), request.to(), current));
                notify.executeQuery().close();
            }
        }
        connection.commit();
        return new SchemaKeyChange(id, request.app(), current, request.to(), changedAt, request.changedBy(), request.note(),
                request.expect() instanceof KeyExpectation.Anything);
    }

    private void requireExpected(FlipRequest request, String current) {
        KeyExpectation expect = request.expect();
        boolean matches = expect instanceof KeyExpectation.Anything
                || (expect instanceof KeyExpectation.Unset && current == null)
                || (expect instanceof KeyExpectation.Is is && is.key().equals(current));
        if (matches) {
            return;
        }
        String expected = expect instanceof KeyExpectation.Is is ? "'" + is.key() + "'" : "none (no key set yet)";
        String actual = current == null ? "not set" : "'" + current + "'";
        throw new FleetDeployException(
                "Flip of the schema key of app '" + request.app() + "' to '" + request.to() + "' refused: the key is " + actual
                        + ", expected " + expected + ".",
                "Nothing was changed.",
                current == null
                        ? "For an app's first key, flip with expect-unset (--expect-unset)."
                        : "Another pipeline may have flipped it: check the history (fleet-deploy schema-key history), then flip"
                                + " from '" + current + "' if that is still right.");
    }

    private static void validate(FlipRequest request) {
        Objects.requireNonNull(request, "request");
        Names.requireSafe("app", request.app());
        Names.requireSafe("schema key", request.to());
        if (request.expect() == null) {
            throw FleetDeployException.invalidInput(
                    "No expected schema key was given for the flip of app '" + request.app() + "'.",
                    "Give the key you expect it to have now (expect), expect-unset for an app's first key, or force to override.");
        }
        if (request.expect() instanceof KeyExpectation.Is is) {
            Names.requireSafe("expected schema key", is.key());
            if (is.key().equals(request.to())) {
                throw FleetDeployException.invalidInput(
                        "The expected key and the new key are both '" + request.to() + "': that flip would change nothing.",
                        "Give the key it has now as expect and the key it should get as to.");
            }
        }
        requireText("changedBy (who flips: build URL or user)", request.changedBy(), true);
        requireText("note", request.note(), false);
    }

    private static void requireText(String field, String value, boolean required) {
        if (value == null || value.isBlank()) {
            if (required) {
                throw FleetDeployException.invalidInput("The " + field + " is missing.", "Give it; it is recorded in the history.");
            }
            return;
        }
        if (value.length() > MAX_TEXT || value.chars().anyMatch(Character::isISOControl)) {
            throw FleetDeployException.invalidInput(
                    "The " + field + " is longer than " + MAX_TEXT + " characters or contains control characters.",
                    "Give one line of at most " + MAX_TEXT + " characters.");
        }
    }

    /** Creates both tables when the key table is missing; safe when several callers do it at once. */
    void ensureTables(ProgressListener progress) {
        try (Connection connection = database.open()) {
            if (tablesExist(connection)) {
                return;
            }
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                if (database.engine() == Engine.POSTGRESQL) {
                    // PostgreSQL's CREATE TABLE IF NOT EXISTS can still collide in its catalog when run concurrently.
                    statement.execute("SELECT pg_advisory_xact_lock(hashtext('fleet-deploy tables " + tables.keyTable() + "'))");
                }
                for (String ddl : ddl()) {
                    statement.execute(ddl);
                }
                connection.commit();
            } catch (SQLException e) {
                rollback(connection);
                throw e;
            }
            progress.info("Created the tables " + tables.keyTable() + " and " + tables.historyTable() + " in the " + database.describe());
        } catch (SQLException e) {
            throw failure("Creating the schema key tables " + tables.keyTable() + " and " + tables.historyTable(), e,
                    "Nothing was changed.");
        }
    }

    private boolean tablesExist(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeQuery("SELECT 1 FROM " + tables.keyTable() + " WHERE 1 = 0").close();
            statement.executeQuery("SELECT 1 FROM " + tables.historyTable() + " WHERE 1 = 0").close();
            return true;
        } catch (SQLException e) {
            if (database.engine().isUndefinedTable(e)) {
                return false;
            }
            throw e;
        }
    }

    private List<String> ddl() {
        String key = tables.keyTable();
        String history = tables.historyTable();
        if (database.engine() == Engine.POSTGRESQL) {
            String index = (history.substring(history.indexOf('.') + 1) + "_app_idx");
            return List.of(
                    "CREATE TABLE IF NOT EXISTS " + key + " (app VARCHAR(128) PRIMARY KEY, schema_key VARCHAR(128) NOT NULL,"
                            + " updated_at TIMESTAMP WITH TIME ZONE NOT NULL, updated_by VARCHAR(1024) NOT NULL, note VARCHAR(1024))",
                    "CREATE TABLE IF NOT EXISTS " + history + " (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                            + " app VARCHAR(128) NOT NULL, from_key VARCHAR(128), to_key VARCHAR(128) NOT NULL,"
                            + " changed_at TIMESTAMP WITH TIME ZONE NOT NULL, changed_by VARCHAR(1024) NOT NULL,"
                            + " note VARCHAR(1024), forced BOOLEAN NOT NULL)",
                    "CREATE INDEX IF NOT EXISTS " + index.substring(0, Math.min(63, index.length())) + " ON " + history + " (app, id)");
        }
        return List.of(
                "CREATE TABLE IF NOT EXISTS " + key + " (app VARCHAR(128) NOT NULL PRIMARY KEY, schema_key VARCHAR(128) NOT NULL,"
                        + " updated_at DATETIME(6) NOT NULL, updated_by VARCHAR(1024) NOT NULL, note VARCHAR(1024)) ENGINE=InnoDB",
                "CREATE TABLE IF NOT EXISTS " + history + " (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                        + " app VARCHAR(128) NOT NULL, from_key VARCHAR(128), to_key VARCHAR(128) NOT NULL,"
                        + " changed_at DATETIME(6) NOT NULL, changed_by VARCHAR(1024) NOT NULL, note VARCHAR(1024),"
                        + " forced BOOLEAN NOT NULL, INDEX (app, id)) ENGINE=InnoDB");
    }

    /** The database's time; MariaDB/MySQL store it as UTC in a DATETIME (no session time zone involved). */
    private String now() {
        return database.engine() == Engine.POSTGRESQL ? "CURRENT_TIMESTAMP" : "UTC_TIMESTAMP(6)";
    }

    private Instant instant(ResultSet row, int column) throws SQLException {
        if (database.engine() == Engine.POSTGRESQL) {
            OffsetDateTime time = row.getObject(column, OffsetDateTime.class);
            return time == null ? null : time.toInstant();
        }
        LocalDateTime time = row.getObject(column, LocalDateTime.class);
        return time == null ? null : time.toInstant(ZoneOffset.UTC);
    }

    static String payload(String app, String key, String previous) {
        Map<String, String> payload = new LinkedHashMap<>();
        payload.put("app", app);
        payload.put("schemaKey", key);
        payload.put("previous", previous);
        try {
            return Json.mapper().writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private FleetDeployException failure(String what, SQLException e, String left) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08") || state.startsWith("28")) {
            return database.connectFailure(e);
        }
        if (state.startsWith("42") && (state.equals("42501") || e.getErrorCode() == 1142 || e.getErrorCode() == 1044)) {
            return new FleetDeployException(what + " on the " + database.describe() + " was not permitted for user '"
                    + database.user() + "': " + database.redact(e.getMessage()), left,
                    "Grant the user SELECT, INSERT and UPDATE on " + tables.keyTable() + " and " + tables.historyTable()
                            + " (and CREATE, or create the tables once as an administrator).", e);
        }
        return new FleetDeployException(what + " on the " + database.describe() + " failed: " + database.redact(e.getMessage())
                + " (SQL state " + state + ")", left, "Check the database and the table names, then run again.", e);
    }

    private static void rollback(Connection connection) {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException e) {
            // The connection is closed next; the server rolls back an unfinished transaction with it.
        }
    }
}
