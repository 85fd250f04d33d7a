package io.fleetdeploy.sandbox.runtime;

import java.util.Optional;

/**
 * Decides whether an RDS IAM authentication token (the SigV4-presigned "connect" URL a client sends as
 * its password) lets {@code user} log in at {@code endpoint} ({@code host:port}, where the client
 * connected). Supplied by the services side, which knows the credentials (see
 * {@code io.fleetdeploy.sandbox.aws.RdsAuthTokens}). Implementations must not log the token, nor
 * put it in the reason.
 */
@FunctionalInterface
public interface IamTokenVerifier {
    /** Empty when the token lets the user in; else why not, for the client's error and the log. */
    Optional<String> refusal(String endpoint, String user, String token);
}
