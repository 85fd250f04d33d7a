package io.fleetdeploy.cli;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.schema.DatabaseTarget;
import io.fleetdeploy.core.schema.Secret;
import io.fleetdeploy.core.schema.TlsOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The database options shared by {@code migrate} and {@code schema-key}. A password is read from
 * an environment variable or a file, never taken as an argument (it would show in the process
 * list and the shell history).
 */
final class DatabaseOptions {

    @Option(names = "--jdbc-url", paramLabel = "URL",
            description = "jdbc:postgresql://HOST[:PORT]/DB, jdbc:mariadb://... or jdbc:mysql://... (no credentials in it).")
    String jdbcUrl;

    @Option(names = "--rds-instance", paramLabel = "ID",
            description = "An RDS DB instance identifier: host, port and engine come from DescribeDBInstances."
                    + " With --jdbc-url too, the URL is used to connect and the instance for --snapshot.")
    String rdsInstance;

    @Option(names = "--db-name", paramLabel = "NAME", description = "The database on the RDS instance; default: its DBName.")
    String databaseName;

    @Option(names = "--db-user", paramLabel = "USER", description = "The database user; default: the RDS instance's master user.")
    String user;

    @ArgGroup(exclusive = true)
    Login login;

    static final class Login {
        @Option(names = "--password-env", paramLabel = "NAME", description = "Read the password from this environment variable.")
        String passwordEnv;

        @Option(names = "--password-file", paramLabel = "FILE", description = "Read the password from this file (one line).")
        Path passwordFile;

        @Option(names = "--iam-auth", description = "Log in with an RDS IAM authentication token signed with the AWS credentials.")
        boolean iamAuth;
    }

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /**
     * Refuses a password argument with a message that does not repeat it (picocli's "unknown
     * option" error would echo the value into the build log).
     */
    @Option(names = {"--password", "--db-password"}, hidden = true, paramLabel = "IGNORED")
    void refusePasswordArgument(String ignored) {
        throw new ParameterException(command.commandLine(), "A password is not accepted as an argument: it would show in"
                + " process lists, shell history and build logs. Use --password-env NAME or --password-file FILE.");
    }

    @Option(names = "--tls", paramLabel = "MODE",
            description = "TLS to the database: disable, require, verify-ca or verify-full; default: the driver's.")
    String tls;

    @Option(names = "--tls-root-cert", paramLabel = "FILE", description = "PEM file of the CA(s) to trust (e.g. the RDS CA bundle); implies --tls verify-full unless --tls is given.")
    Path tlsRootCert;

    @Option(names = "--jdbc-property", paramLabel = "KEY=VALUE", description = "More driver properties (repeatable).")
    Map<String, String> jdbcProperties = new LinkedHashMap<>();

    DatabaseTarget target() {
        DatabaseTarget target = new DatabaseTarget(jdbcUrl, rdsInstance, databaseName, user, password(),
                login != null && login.iamAuth, tlsOptions(), jdbcProperties);
        target.validate();
        return target;
    }

    private Secret password() {
        if (login == null) {
            return null;
        }
        if (login.passwordEnv != null) {
            String value = System.getenv(login.passwordEnv);
            if (value == null || value.isEmpty()) {
                throw FleetDeployException.invalidInput(
                        "The environment variable " + login.passwordEnv + " (--password-env) is not set or empty.",
                        "Export the password in that variable (a CI secret binding does this), or use --password-file.");
            }
            return Secret.of(value);
        }
        if (login.passwordFile != null) {
            try {
                String value = Files.readString(login.passwordFile, StandardCharsets.UTF_8).strip();
                if (value.isEmpty()) {
                    throw FleetDeployException.invalidInput("The password file " + login.passwordFile + " is empty.",
                            "Put the password on the file's first line.");
                }
                return Secret.of(value.lines().findFirst().orElseThrow());
            } catch (IOException e) {
                throw FleetDeployException.invalidInput("The password file " + login.passwordFile + " cannot be read: "
                        + e.getClass().getSimpleName() + ".", "Check the path and its permissions.");
            }
        }
        return null;
    }

    private TlsOptions tlsOptions() {
        if (tls == null) {
            return tlsRootCert == null ? TlsOptions.DRIVER_DEFAULT : new TlsOptions(TlsOptions.Mode.VERIFY_FULL, tlsRootCert);
        }
        TlsOptions.Mode mode = switch (tls) {
            case "disable" -> TlsOptions.Mode.DISABLE;
            case "require" -> TlsOptions.Mode.REQUIRE;
            case "verify-ca" -> TlsOptions.Mode.VERIFY_CA;
            case "verify-full" -> TlsOptions.Mode.VERIFY_FULL;
            default -> throw FleetDeployException.invalidInput("The TLS mode '" + tls + "' is not one of disable, require,"
                    + " verify-ca, verify-full.", "Give one of those to --tls.");
        };
        return new TlsOptions(mode, tlsRootCert);
    }
}
