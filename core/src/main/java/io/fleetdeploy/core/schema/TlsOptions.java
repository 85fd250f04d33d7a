package io.fleetdeploy.core.schema;

import java.nio.file.Path;

/**
 * TLS to the database, passed through to the driver ({@code sslmode}/{@code sslrootcert} for
 * PostgreSQL, {@code sslMode}/{@code serverSslCert} for MariaDB). RDS IAM authentication needs
 * TLS; {@code VERIFY_FULL} with the RDS CA bundle is what AWS recommends.
 *
 * @param rootCertificate a PEM file with the CA(s) to trust; null: the driver's default trust
 */
public record TlsOptions(Mode mode, Path rootCertificate) {

    public static final TlsOptions DRIVER_DEFAULT = new TlsOptions(Mode.DRIVER_DEFAULT, null);

    public enum Mode { DRIVER_DEFAULT, DISABLE, REQUIRE, VERIFY_CA, VERIFY_FULL }

    public TlsOptions {
        mode = mode == null ? Mode.DRIVER_DEFAULT : mode;
    }
}
