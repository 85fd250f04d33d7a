package io.fleetdeploy.core.schema;

/**
 * Signs an RDS IAM authentication token for one login ({@code RdsDatabases::authenticationToken}).
 * A token is valid for 15 minutes, so one is signed for every new connection, never kept.
 */
@FunctionalInterface
interface IamTokenSigner {
    String sign(String host, int port, String user);
}
