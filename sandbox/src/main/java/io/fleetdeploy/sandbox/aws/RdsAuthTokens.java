package io.fleetdeploy.sandbox.aws;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The check RDS makes of an IAM database authentication token: the SigV4-presigned URL
 * {@code <host>:<port>/?Action=connect&DBUser=<user>&X-Amz-...} that a client sends as its password
 * (what the SDK's {@code RdsUtilities.generateAuthenticationToken} and {@code aws rds
 * generate-db-auth-token} make). It must name the database's own endpoint and the user logging in,
 * be signed for service {@code rds-db} in the sandbox's region with a key the sandbox knows, and be
 * used within its X-Amz-Expires (at most 15 minutes). The signature itself is checked by the same
 * {@link SigV4Verifier} that checks every AWS call, so keys, temporary credentials and clock skew
 * follow one rule. Reasons name endpoints, users and keys, never the token or its signature.
 */
public final class RdsAuthTokens {

    /** RDS refuses tokens presigned for longer than this (the SDK always signs for exactly this). */
    public static final long MAX_EXPIRES_SECONDS = 900;
    private static final String SERVICE = "rds-db";

    private final SigV4Verifier verifier;
    private final String region;

    public RdsAuthTokens(Users users, String region) {
        this.verifier = new SigV4Verifier(Objects.requireNonNull(users, "users"));
        this.region = Objects.requireNonNull(region, "region");
    }

    /**
     * Why {@code token} does not let {@code user} log in at {@code endpoint} ({@code host:port}), or
     * empty when it does.
     */
    public Optional<String> refusal(String endpoint, String user, String token) {
        if (token == null || token.isEmpty()) {
            return Optional.of("no IAM authentication token was sent");
        }
        String url = token.startsWith("https://") ? token.substring("https://".length()) : token;
        int slash = url.indexOf('/');
        if (slash <= 0 || !url.startsWith("/?", slash)) {
            return Optional.of("the password is not an RDS IAM authentication token (<host>:<port>/?Action=connect&DBUser=...)");
        }
        String hostPort = url.substring(0, slash);
        String rawQuery = url.substring(slash + 2);
        if (!hostPort.equals(endpoint)) {
            return Optional.of("the token was signed for " + hostPort + ", not for this database's endpoint " + endpoint);
        }
        Map<String, String> query = new HashMap<>();
        for (String[] pair : SigV4Verifier.queryPairs(rawQuery)) {
            query.putIfAbsent(pair[0], pair[1]);
        }
        if (!"connect".equals(query.get("Action"))) {
            return Optional.of("the token's Action is '" + query.get("Action") + "', not 'connect'");
        }
        if (!user.equals(query.get("DBUser"))) {
            return Optional.of("the token was signed for database user '" + query.get("DBUser") + "', not '" + user + "'");
        }
        String expires = query.get("X-Amz-Expires");
        if (expires == null || !expires.matches("\\d{1,9}") || Long.parseLong(expires) > MAX_EXPIRES_SECONDS) {
            return Optional.of("the token's X-Amz-Expires must be at most " + MAX_EXPIRES_SECONDS + " seconds");
        }
        // The token is the presigned GET of that URL: its only signed header is host.
        WireRequest request = new WireRequest("GET", "/", rawQuery, Map.of("host", List.of(hostPort)), new byte[0]);
        try {
            SigV4Verifier.Claim claim = SigV4Verifier.claim(request);
            if (!claim.presigned()) {
                return Optional.of("the token is not a presigned URL");
            }
            if (!SERVICE.equals(claim.service()) || !region.equals(claim.region())) {
                return Optional.of("the token is signed for service " + claim.service() + " in " + claim.region()
                        + ", not for " + SERVICE + " in " + region);
            }
            verifier.verify(request, claim);
            return Optional.empty();
        } catch (AuthFailure e) {
            return Optional.of("access key " + accessKeyOf(query) + ": " + e.getMessage());
        }
    }

    private static String accessKeyOf(Map<String, String> query) {
        String credential = query.getOrDefault("X-Amz-Credential", "");
        int slash = credential.indexOf('/');
        return slash > 0 ? credential.substring(0, slash) : "(none)";
    }
}
