package io.fleetdeploy.sandbox.runtime;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database's schema keys, read from the table ({@code app}, {@code schema_key}) into memory so
 * {@link #keyFor} never touches the database. On PostgreSQL one connection LISTENs on channel
 * {@value #CHANNEL} and re-reads the table as soon as a NOTIFY arrives; on every database the table is
 * also re-read every poll interval, the fallback for changes made without NOTIFY. A missing table reads
 * as no keys. When the database cannot be reached the last keys read stay in force and the source
 * reconnects after the poll interval. One daemon thread per source.
 *
 * <p>{@link #hold} is what an app node does its work under: a transaction that reads the app's key row
 * {@code FOR SHARE} (MariaDB/MySQL: {@code LOCK IN SHARE MODE}) and stays open until the work is done.
 * A flip locks that row {@code FOR UPDATE}, so it cannot commit while a request that read the old key
 * is still being served, and a request that starts after it reads the new key: no skew, by construction.
 */
public final class JdbcSchemaKeySource implements SchemaKeySource, AutoCloseable {
    public static final String CHANNEL = "fleet_schema_key";
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    private static final Duration FIRST_READ_WAIT = Duration.ofSeconds(10);
    private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");
    private static final Logger LOG = LoggerFactory.getLogger(JdbcSchemaKeySource.class);
    /** Threads that open holds (a JDBC round trip each), off the servers' event loops. */
    private static final int HOLD_THREADS = 4;

    private final String jdbcUrl;
    private final Properties credentials = new Properties();
    private final String table;
    private final Duration pollInterval;
    private final Thread reader;
    private final CountDownLatch firstRead = new CountDownLatch(1);
    private volatile Map<String, String> keys = Map.of();
    private volatile boolean closed;
    private volatile Connection connection;
    private final BlockingQueue<Connection> idleHoldConnections = new LinkedBlockingQueue<>();
    private final ExecutorService holdThreads = Executors.newFixedThreadPool(HOLD_THREADS, RuntimeIo.daemonThreads("schema-key-hold"));

    public JdbcSchemaKeySource(String jdbcUrl, String user, String password, String table) {
        this(jdbcUrl, user, password, table, DEFAULT_POLL_INTERVAL);
    }

    /**
     * Starts reading and waits (at most 10 s) for the first read, so keys are known when this returns
     * whenever the database is up.
     *
     * @throws IllegalArgumentException when the table name is not a plain (optionally schema-qualified) identifier
     */
    public JdbcSchemaKeySource(String jdbcUrl, String user, String password, String table, Duration pollInterval) {
        this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(table, "table");
        if (!TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("schema key table '" + table + "' is not a plain table name: use "
                    + "letters, digits and '_', optionally prefixed by a schema and '.'");
        }
        if (pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("poll interval must be positive, was " + pollInterval);
        }
        this.table = table;
        this.pollInterval = pollInterval;
        if (user != null) {
            credentials.setProperty("user", user);
        }
        if (password != null) {
            credentials.setProperty("password", password);
        }
        this.reader = new Thread(this::readForever, "schema-keys-" + table);
        reader.setDaemon(true);
        reader.start();
        try {
            firstRead.await(FIRST_READ_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Optional<String> keyFor(String app) {
        return Optional.ofNullable(keys.get(app));
    }

    @Override
    public CompletableFuture<KeyHold> hold(String app) {
        return CompletableFuture.supplyAsync(() -> openHold(app), holdThreads);
    }

    private KeyHold openHold(String app) {
        Connection c = idleHoldConnections.poll();
        try {
            if (c == null) {
                c = DriverManager.getConnection(jdbcUrl, credentials);
                c.setAutoCommit(false);
            }
            Optional<String> key = readShared(c, app);
            Connection held = c;
            return new KeyHold() {
                @Override
                public Optional<String> key() {
                    return key;
                }

                @Override
                public void close() {
                    release(held);
                }
            };
        } catch (SQLException e) {
            closeQuietly(c);
            throw new CompletionException("could not read the schema key of " + app + " from table " + table + ": " + e.getMessage(), e);
        }
    }

    private Optional<String> readShared(Connection c, String app) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT);
        String shared = product.contains("mariadb") || product.contains("mysql") ? " LOCK IN SHARE MODE" : " FOR SHARE";
        try (PreparedStatement select = c.prepareStatement("SELECT schema_key FROM " + table + " WHERE app = ?" + shared)) {
            select.setString(1, app);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.ofNullable(row.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            if (!isMissingTable(e)) {
                throw e;
            }
            // No table yet: no key, nothing to hold (a flip creates the table first).
            c.rollback();
            return Optional.empty();
        }
    }

    /** Ends the hold's transaction (letting a waiting flip commit) and keeps the connection for the next hold. */
    private void release(Connection c) {
        try {
            c.commit();
            if (closed) {
                c.close();
            } else {
                idleHoldConnections.add(c);
            }
        } catch (SQLException e) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // a broken connection: dropped either way
            }
        }
    }

    /** Every app's key as last read. */
    public Map<String, String> keys() {
        return keys;
    }

    private void readForever() {
        while (!closed) {
            try (Connection c = DriverManager.getConnection(jdbcUrl, credentials)) {
                connection = c;
                c.setAutoCommit(true);
                PGConnection postgres = c.isWrapperFor(PGConnection.class) ? c.unwrap(PGConnection.class) : null;
                if (postgres != null) {
                    try (Statement listen = c.createStatement()) {
                        listen.execute("LISTEN " + CHANNEL);
                    }
                }
                while (!closed) {
                    read(c);
                    firstRead.countDown();
                    if (postgres != null) {
                        // Returns at the first NOTIFY, or empty after the poll interval.
                        postgres.getNotifications((int) pollInterval.toMillis());
                    } else {
                        Thread.sleep(pollInterval.toMillis());
                    }
                }
            } catch (SQLException e) {
                if (!closed) {
                    LOG.warn("could not read schema keys from table {} ({}); keeping the last keys read and "
                            + "trying again in {}", table, e.getMessage(), pollInterval);
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                connection = null;
                firstRead.countDown();
            }
            pause();
        }
    }

    private void read(Connection c) throws SQLException {
        Map<String, String> read = new HashMap<>();
        try (Statement select = c.createStatement();
             ResultSet rows = select.executeQuery("SELECT app, schema_key FROM " + table)) {
            while (rows.next()) {
                read.put(rows.getString(1), rows.getString(2));
            }
        } catch (SQLException e) {
            if (!isMissingTable(e)) {
                throw e;
            }
            read.clear();
        }
        keys = Map.copyOf(read);
    }

    /** PostgreSQL's undefined_table, MySQL/MariaDB's no such table. */
    private static boolean isMissingTable(SQLException e) {
        return "42P01".equals(e.getSQLState()) || "42S02".equals(e.getSQLState());
    }

    private void pause() {
        try {
            Thread.sleep(pollInterval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        holdThreads.shutdownNow();
        for (Connection idle; (idle = idleHoldConnections.poll()) != null; ) {
            closeQuietly(idle);
        }
        reader.interrupt();
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // Closing only wakes the reader; it ends either way.
            }
        }
        try {
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
