package io.fleetdeploy.core.schema;

import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The database engines fleet-deploy migrates and keeps schema keys in. MySQL is reached through
 * the MariaDB driver, which speaks its protocol (the only MySQL-family driver we ship).
 */
public enum Engine {
    POSTGRESQL("PostgreSQL", "jdbc:postgresql://", 5432, "connectTimeout", "10"),
    MARIADB("MariaDB/MySQL", "jdbc:mariadb://", 3306, "connectTimeout", "10000");

    private final String displayName;
    private final String urlPrefix;
    private final int defaultPort;
    private final String connectTimeoutProperty;
    private final String connectTimeoutValue;

    Engine(String displayName, String urlPrefix, int defaultPort, String connectTimeoutProperty, String connectTimeoutValue) {
        this.displayName = displayName;
        this.urlPrefix = urlPrefix;
        this.defaultPort = defaultPort;
        this.connectTimeoutProperty = connectTimeoutProperty;
        this.connectTimeoutValue = connectTimeoutValue;
    }

    public String displayName() {
        return displayName;
    }

    public String urlPrefix() {
        return urlPrefix;
    }

    public int defaultPort() {
        return defaultPort;
    }

    /** The engine of an RDS instance ({@code DBInstance.engine()}), if we support it. */
    public static Optional<Engine> ofRdsEngine(String rdsEngine) {
        String engine = rdsEngine == null ? "" : rdsEngine.toLowerCase(Locale.ROOT);
        if (engine.equals("postgres") || engine.equals("aurora-postgresql")) {
            return Optional.of(POSTGRESQL);
        }
        if (engine.equals("mysql") || engine.equals("mariadb") || engine.equals("aurora-mysql") || engine.equals("aurora")) {
            return Optional.of(MARIADB);
        }
        return Optional.empty();
    }

    /** Bounded connection attempts: an unreachable host fails in seconds, not at the OS's TCP timeout. */
    void putDefaultTimeouts(Map<String, String> properties) {
        properties.putIfAbsent(connectTimeoutProperty, connectTimeoutValue);
        if (this == POSTGRESQL) {
            properties.putIfAbsent("loginTimeout", "20");
        }
    }

    /** Driver properties for a TLS mode, in this driver's own words. */
    void putTls(TlsOptions tls, Map<String, String> properties) {
        if (tls == null || tls.mode() == TlsOptions.Mode.DRIVER_DEFAULT) {
            return;
        }
        if (this == POSTGRESQL) {
            properties.put("sslmode", tls.mode().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            if (tls.rootCertificate() != null) {
                properties.put("sslrootcert", tls.rootCertificate().toString());
            }
        } else {
            properties.put("sslMode", switch (tls.mode()) {
                case DISABLE -> "disable";
                case REQUIRE -> "trust";
                case VERIFY_CA -> "verify-ca";
                case VERIFY_FULL -> "verify-full";
                case DRIVER_DEFAULT -> throw new IllegalStateException("handled above");
            });
            if (tls.rootCertificate() != null) {
                properties.put("serverSslCert", tls.rootCertificate().toString());
            }
        }
    }

    /** The table is missing: PostgreSQL 42P01 undefined_table, MariaDB/MySQL 42S02 (1146). */
    boolean isUndefinedTable(SQLException e) {
        return "42P01".equals(e.getSQLState()) || "42S02".equals(e.getSQLState()) || e.getErrorCode() == 1146;
    }

    /** Worth another attempt of the whole transaction: a deadlock, a serialization failure or a racing insert. */
    boolean isRetryable(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return state.startsWith("40") || state.equals("23505") || e.getErrorCode() == 1062 || e.getErrorCode() == 1213;
    }
}
