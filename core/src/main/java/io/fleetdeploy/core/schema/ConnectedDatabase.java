package io.fleetdeploy.core.schema;

import io.fleetdeploy.core.FleetDeployException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A database we know how to log in to: its location, user, secret and driver properties. Opens
 * connections itself (and as a {@link DataSource} for Flyway), and turns connection failures into
 * errors that name host and port but never the secret.
 */
public final class ConnectedDatabase {

    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&;\\s]*");
    /** Any RDS IAM token (a presigned URL), whichever login it was signed for. */
    private static final Pattern IAM_TOKEN = Pattern.compile("\\S*X-Amz-(?:Signature|Credential|Security-Token)=\\S*");

    private final JdbcLocation location;
    private final String user;
    private final Supplier<Secret> logins;
    private final boolean iamAuth;
    private final Map<String, String> properties;
    private volatile Secret lastSecret;

    /**
     * @param logins  the secret for each new connection: the password (null for none), or a freshly
     *                signed IAM token
     * @param iamAuth whether the secrets are RDS IAM tokens (for the advice when a login is refused)
     */
    ConnectedDatabase(JdbcLocation location, String user, Supplier<Secret> logins, boolean iamAuth,
                      Map<String, String> properties) {
        this.location = location;
        this.user = user;
        this.logins = logins;
        this.iamAuth = iamAuth;
        this.properties = Map.copyOf(properties);
    }

    public Engine engine() {
        return location.engine();
    }

    public JdbcLocation location() {
        return location;
    }

    public String user() {
        return user;
    }

    /** For messages: engine, database, host and port. */
    public String describe() {
        return location.describe();
    }

    /** {@code text} without the secret, nor any {@code password=} option a driver may echo. */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        Secret secret = lastSecret;
        String withoutSecret = secret == null ? text : secret.redact(text);
        return IAM_TOKEN.matcher(URL_PASSWORD.matcher(withoutSecret).replaceAll("$1****")).replaceAll("****");
    }

    /** Opens a connection; a failure becomes an error naming host, port and user, never the secret. */
    public Connection open() {
        try {
            return openRaw();
        } catch (SQLException e) {
            throw connectFailure(e);
        }
    }

    /** A new connection, logged in with the secret {@code logins} gives for it; a failure's message is redacted. */
    Connection openRaw() throws SQLException {
        Properties info = new Properties();
        info.putAll(properties);
        if (user != null) {
            info.setProperty("user", user);
        }
        Secret secret = logins.get();
        if (secret != null) {
            lastSecret = secret;
            info.setProperty("password", secret.reveal());
        }
        try {
            return DriverManager.getConnection(location.url(), info);
        } catch (SQLException e) {
            // Callers (and Flyway) put the message in their own; keep the secret out of it.
            String message = e.getMessage() == null ? null
                    : IAM_TOKEN.matcher(secret == null ? e.getMessage() : secret.redact(e.getMessage())).replaceAll("****");
            throw new SQLException(message, e.getSQLState(), e.getErrorCode());
        }
    }

    /** Proves that the database answers and accepts the login, before anything is changed. */
    public void checkConnection() {
        try (Connection connection = open()) {
            connection.isValid(10);
        } catch (SQLException e) {
            throw connectFailure(e);
        }
    }

    FleetDeployException connectFailure(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String reason = redact(e.getMessage());
        String who = user == null ? "" : " as user '" + user + "'";
        if (state.startsWith("28") || (state.isEmpty() && reason != null && reason.contains("Access denied"))) {
            return new FleetDeployException(
                    "The " + describe() + " refused the login" + who + (iamAuth ? " with an RDS IAM authentication token" : "")
                            + ": " + reason,
                    "Nothing was changed.",
                    iamAuth ? "Check that IAM authentication is enabled on the instance, that the database user was granted"
                            + " rds_iam (GRANT rds_iam TO " + user + "), that the AWS credentials are allowed rds-db:connect"
                            + " for this user, and that this machine's clock is right (a token is valid 15 minutes)."
                            : "Check the user and the password.", new SQLException(reason, state));
        }
        if (state.startsWith("08") || state.isEmpty()) {
            return new FleetDeployException(
                    "Cannot reach the " + describe() + ": " + reason,
                    "Nothing was changed.",
                    "Check that host " + location.host() + " and port " + location.port()
                            + " are right and reachable from here (security groups, VPN, TLS settings).", new SQLException(reason, state));
        }
        return new FleetDeployException(
                "Connecting to the " + describe() + who + " failed: " + reason + " (SQL state " + state + ")",
                "Nothing was changed.",
                "Check the database settings.", new SQLException(reason, state));
    }

    /** This database as a DataSource (Flyway's way in). */
    public DataSource dataSource() {
        return new Source();
    }

    @Override
    public String toString() {
        return describe();
    }

    private final class Source implements DataSource {
        private PrintWriter logWriter;

        @Override
        public Connection getConnection() throws SQLException {
            return openRaw();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLFeatureNotSupportedException("The login is fixed by fleet-deploy's database settings.");
        }

        @Override
        public PrintWriter getLogWriter() {
            return logWriter;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
            this.logWriter = out;
        }

        @Override
        public void setLoginTimeout(int seconds) {
            // Bounded by the driver's connect timeout property instead (DriverManager's is JVM-wide).
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            if (type.isInstance(this)) {
                return type.cast(this);
            }
            throw new SQLException("Not a wrapper of " + type.getName());
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return type.isInstance(this);
        }
    }
}
