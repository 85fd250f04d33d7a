package io.fleetdeploy.sandbox.runtime;

/**
 * Decides whether an RDS IAM authentication token (the SigV4-presigned "connect" URL a client sends as
 * its password) lets {@code user} log in. Supplied by the services side, which knows the credentials.
 * Implementations must not log the token.
 */
@FunctionalInterface
public interface IamTokenVerifier {
    boolean accepts(String user, String token);
}
