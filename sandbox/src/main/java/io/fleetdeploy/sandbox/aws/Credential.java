package io.fleetdeploy.sandbox.aws;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A key pair the endpoint accepts and the principal it stands for: a configured IAM user, or the
 * temporary credentials of an assumed role (with session token and expiry).
 *
 * @param accountId the 12-digit account id GetCallerIdentity answers
 * @param arn       arn:aws:iam::ACCOUNT:user/NAME or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
 * @param userId    the unique id GetCallerIdentity answers (AIDA... or AROA...:SESSION)
 */
public record Credential(String accessKeyId, String secretAccessKey, Optional<String> sessionToken,
                         Optional<Instant> expiration, String accountId, String arn, String userId) {

    public Credential {
        Objects.requireNonNull(accessKeyId, "accessKeyId");
        Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        Objects.requireNonNull(sessionToken, "sessionToken");
        Objects.requireNonNull(expiration, "expiration");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(arn, "arn");
        Objects.requireNonNull(userId, "userId");
    }

    public boolean temporary() {
        return sessionToken.isPresent();
    }

    public boolean expiredAt(Instant now) {
        return expiration.map(e -> !now.isBefore(e)).orElse(false);
    }

    /** Never prints the secret or the session token. */
    @Override
    public String toString() {
        return "Credential[" + accessKeyId + ", " + arn + expiration.map(e -> ", expires " + e).orElse("") + "]";
    }
}
