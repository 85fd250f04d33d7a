package io.fleetdeploy.core.schema;

import io.fleetdeploy.core.FleetDeployException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a JDBC URL points: engine, host, port and database. Used to name the database in
 * messages (never the whole URL, which may carry options we do not want printed) and to sign an
 * IAM authentication token for that host and port.
 *
 * @param url the URL as the driver gets it ({@code jdbc:mysql:} is rewritten to {@code jdbc:mariadb:})
 */
public record JdbcLocation(Engine engine, String url, String host, int port, String database) {

    private static final Pattern URL = Pattern.compile(
            "jdbc:(postgresql|mariadb|mysql)://(\\[[0-9A-Fa-f:.]+\\]|[^/:?;,\\[\\]]+)(?::(\\d{1,5}))?(?:[,/?;].*)?");
    private static final Pattern DATABASE = Pattern.compile("jdbc:[a-z]+://[^/]*/([^?;]*).*");

    /** Parses a JDBC URL of PostgreSQL, MariaDB or MySQL; throws an invalid-input error otherwise. */
    public static JdbcLocation parse(String jdbcUrl) {
        Matcher matcher = jdbcUrl == null ? null : URL.matcher(jdbcUrl);
        if (matcher == null || !matcher.matches()) {
            throw FleetDeployException.invalidInput(
                    "The JDBC URL is not one fleet-deploy can use: it must look like jdbc:postgresql://HOST[:PORT]/DATABASE,"
                            + " jdbc:mariadb://HOST[:PORT]/DATABASE or jdbc:mysql://HOST[:PORT]/DATABASE.",
                    "Give the URL of a PostgreSQL, MariaDB or MySQL database (credentials go in the user and password options, not in the URL).");
        }
        Engine engine = matcher.group(1).equals("postgresql") ? Engine.POSTGRESQL : Engine.MARIADB;
        String url = matcher.group(1).equals("mysql") ? "jdbc:mariadb:" + jdbcUrl.substring("jdbc:mysql:".length()) : jdbcUrl;
        int port = matcher.group(3) == null ? engine.defaultPort() : Integer.parseInt(matcher.group(3));
        Matcher database = DATABASE.matcher(jdbcUrl);
        return new JdbcLocation(engine, url, matcher.group(2), port,
                database.matches() && !database.group(1).isEmpty() ? database.group(1) : null);
    }

    /** The URL of a database on a host found through RDS. */
    public static JdbcLocation of(Engine engine, String host, int port, String database) {
        String url = engine.urlPrefix() + host + ":" + port + "/" + (database == null ? "" : database);
        return new JdbcLocation(engine, url, host, port, database);
    }

    public Optional<String> databaseIfSet() {
        return Optional.ofNullable(database);
    }

    /** For messages: {@code PostgreSQL database shop at db.example.com:5432}. */
    public String describe() {
        return engine.displayName() + " database " + (database == null ? "" : database + " ") + "at " + host + ":" + port;
    }
}
