package io.fleetdeploy.sandbox.runtime;

import io.fleetdeploy.sandbox.runtime.DatabaseServer.Snapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.postgresql.PGConnection;

/**
 * Snapshots of one server's database without pg_dump (the embedded bundle has none): inside one
 * REPEATABLE READ, READ ONLY transaction, so the copy is consistent while the database stays in use,
 * it writes, as pg_dump orders them, {@code schema.sql} (schemas, sequences with their values, tables with
 * columns and defaults), each table's rows with {@code COPY ... TO STDOUT} into {@code NNN.copy} (listed
 * in schema.sql as {@code -- data: NNN.copy -> schema.table}), and {@code constraints.sql} (keys, checks,
 * foreign keys, indexes) to apply after the data. A snapshot is written under {@code <id>.partial} and renamed
 * when complete, so a snapshot directory is never half a snapshot. Views, functions and grants are not
 * copied.
 */
final class DatabaseSnapshots {
    /** RDS: 1 to 255 letters, digits and hyphens, starting with a letter, no "--", not ending with '-'. */
    private static final Pattern SNAPSHOT_ID = Pattern.compile("[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,254}");
    private static final String USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') "
            + "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

    private final Path directory;
    private final Clock clock;
    private final Set<String> taken = ConcurrentHashMap.newKeySet();

    DatabaseSnapshots(Path directory, Clock clock) {
        this.directory = directory;
        this.clock = clock;
    }

    /** Reserves the id; throws when it is not a valid RDS snapshot identifier or already used. */
    void requireNew(String snapshotId) {
        if (snapshotId == null || !SNAPSHOT_ID.matcher(snapshotId).matches() || snapshotId.endsWith("-")) {
            throw new IllegalArgumentException("snapshot id '" + snapshotId + "' must be 1 to 255 letters, digits and "
                    + "hyphens, start with a letter, not end with a hyphen and not contain two consecutive hyphens");
        }
        if (Files.exists(directory.resolve(snapshotId)) || !taken.add(snapshotId)) {
            throw new IllegalArgumentException("snapshot " + snapshotId + " already exists: choose another id");
        }
    }

    Snapshot take(String snapshotId, Connection connection) throws SQLException {
        Instant created = clock.instant();
        Path partial = directory.resolve(snapshotId + ".partial");
        Path complete = directory.resolve(snapshotId);
        try {
            Files.createDirectories(partial);
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            connection.setReadOnly(true);
            StringBuilder schema = new StringBuilder("-- snapshot ").append(snapshotId).append(", taken ")
                    .append(created).append("\n");
            List<TableRef> tables = tables(connection);
            schemas(connection, schema);
            sequences(connection, schema);
            List<String> afterTables = new ArrayList<>();
            for (TableRef table : tables) {
                createTable(connection, table, schema, afterTables);
            }
            afterTables.sort(Comparator.comparing(statement -> statement.contains("FOREIGN KEY")));
            StringBuilder constraints = new StringBuilder();
            afterTables.forEach(statement -> constraints.append(statement).append(";\n"));
            PGConnection postgres = connection.unwrap(PGConnection.class);
            for (int i = 0; i < tables.size(); i++) {
                String file = String.format("%03d.copy", i + 1);
                schema.append("-- data: ").append(file).append(" -> ").append(tables.get(i).qualified()).append("\n");
                try (OutputStream out = Files.newOutputStream(partial.resolve(file))) {
                    postgres.getCopyAPI().copyOut("COPY " + tables.get(i).qualified() + " TO STDOUT", out);
                }
            }
            connection.commit();
            Files.writeString(partial.resolve("schema.sql"), schema, StandardCharsets.UTF_8);
            Files.writeString(partial.resolve("constraints.sql"), constraints, StandardCharsets.UTF_8);
            Files.move(partial, complete, StandardCopyOption.ATOMIC_MOVE);
            return new Snapshot(snapshotId, created, size(complete), complete);
        } catch (IOException e) {
            discard(snapshotId, partial);
            throw new UncheckedIOException("could not write snapshot " + snapshotId + " under " + directory, e);
        } catch (SQLException | RuntimeException e) {
            discard(snapshotId, partial);
            throw e;
        }
    }

    /** A failed snapshot leaves nothing behind, and its id may be used again. */
    private void discard(String snapshotId, Path partial) {
        Directories.deleteTree(partial);
        taken.remove(snapshotId);
    }

    private record TableRef(long oid, String qualified) {
    }

    private static List<TableRef> tables(Connection c) throws SQLException {
        List<TableRef> tables = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery(
                "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
                        + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND "
                        + USER_SCHEMAS + " ORDER BY n.nspname, c.relname")) {
            while (rows.next()) {
                tables.add(new TableRef(rows.getLong(1), rows.getString(2)));
            }
        }
        return tables;
    }

    private static void schemas(Connection c, StringBuilder out) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery(
                "SELECT quote_ident(n.nspname) FROM pg_namespace n WHERE " + USER_SCHEMAS
                        + " AND n.nspname <> 'public' ORDER BY 1")) {
            while (rows.next()) {
                out.append("CREATE SCHEMA IF NOT EXISTS ").append(rows.getString(1)).append(";\n");
            }
        }
    }

    private static void sequences(Connection c, StringBuilder out) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), data_type, start_value, "
                        + "increment_by, last_value FROM pg_sequences ORDER BY 1")) {
            while (rows.next()) {
                String name = rows.getString(1);
                out.append("CREATE SEQUENCE ").append(name).append(" AS ").append(rows.getString(2))
                        .append(" START ").append(rows.getLong(3)).append(" INCREMENT ").append(rows.getLong(4)).append(";\n");
                long last = rows.getLong(5);
                if (!rows.wasNull()) {
                    out.append("SELECT setval('").append(name.replace("'", "''")).append("', ").append(last).append(");\n");
                }
            }
        }
    }

    private static void createTable(Connection c, TableRef table, StringBuilder out, List<String> afterTables)
            throws SQLException {
        List<String> columns = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull, "
                        + "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a LEFT JOIN pg_attrdef d "
                        + "ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                        + "WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
            s.setLong(1, table.oid());
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    String column = rows.getString(1) + " " + rows.getString(2)
                            + (rows.getString(4) != null ? " DEFAULT " + rows.getString(4) : "")
                            + (rows.getBoolean(3) ? " NOT NULL" : "");
                    columns.add(column);
                }
            }
        }
        out.append("CREATE TABLE ").append(table.qualified()).append(" (\n  ")
                .append(String.join(",\n  ", columns)).append("\n);\n");
        try (PreparedStatement s = c.prepareStatement(
                "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ? "
                        + "AND contype IN ('p', 'u', 'c', 'f', 'x') ORDER BY contype <> 'p', conname")) {
            s.setLong(1, table.oid());
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    afterTables.add("ALTER TABLE " + table.qualified() + " ADD CONSTRAINT " + rows.getString(1) + " "
                            + rows.getString(2));
                }
            }
        }
        try (PreparedStatement s = c.prepareStatement(
                "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = ? AND NOT EXISTS "
                        + "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY i.indexrelid")) {
            s.setLong(1, table.oid());
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    afterTables.add(rows.getString(1));
                }
            }
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
        }
    }
}
