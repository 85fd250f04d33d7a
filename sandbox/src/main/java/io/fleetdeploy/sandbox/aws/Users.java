package io.fleetdeploy.sandbox.aws;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The keys the sandbox accepts: configured IAM users and the temporary credentials STS issued,
 * each until it expires. Thread-safe; the clock decides expiry.
 */
public final class Users {

    private static final Pattern ACCESS_KEY = Pattern.compile("[A-Z0-9]{16,128}");
    private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");
    private static final Pattern USER_NAME = Pattern.compile("[\\w+=,.@-]{1,64}");
    private static final String KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final String SECRET_ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Credential> byAccessKey = new ConcurrentHashMap<>();

    public Users(Clock clock) {
        this.clock = clock;
    }

    public Clock clock() {
        return clock;
    }

    /**
     * Adds an IAM user with a long-term key pair.
     *
     * @throws IllegalArgumentException when a value is malformed or the access key is already taken
     */
    public Credential addUser(String accountId, String userName, String accessKeyId, String secretAccessKey) {
        List<String> mistakes = new ArrayList<>();
        if (accountId == null || !ACCOUNT.matcher(accountId).matches()) {
            mistakes.add("account id must be 12 digits");
        }
        if (userName == null || !USER_NAME.matcher(userName).matches()) {
            mistakes.add("user name must be 1-64 characters of letters, digits and +=,.@_-");
        }
        if (accessKeyId == null || !ACCESS_KEY.matcher(accessKeyId).matches()) {
            mistakes.add("access key id must be 16-128 upper-case letters or digits");
        }
        if (secretAccessKey == null || secretAccessKey.length() < 8) {
            mistakes.add("secret access key must have at least 8 characters");
        }
        if (!mistakes.isEmpty()) {
            throw new IllegalArgumentException("user " + userName + ": " + String.join("; ", mistakes));
        }
        Credential user = new Credential(accessKeyId, secretAccessKey, Optional.empty(), Optional.empty(), accountId,
                "arn:aws:iam::" + accountId + ":user/" + userName, "AIDA" + randomString(KEY_ALPHABET, 17));
        if (byAccessKey.putIfAbsent(accessKeyId, user) != null) {
            throw new IllegalArgumentException("user " + userName + ": access key id " + accessKeyId + " is already in use");
        }
        return user;
    }

    /** Issues temporary credentials (ASIA... key, secret, session token) for a principal, valid for the lifetime. */
    public Credential issueTemporary(String accountId, String arn, String userId, Duration lifetime) {
        Instant expiration = clock.instant().truncatedTo(ChronoUnit.SECONDS).plus(lifetime);
        while (true) {
            Credential credential = new Credential("ASIA" + randomString(KEY_ALPHABET, 16),
                    randomString(SECRET_ALPHABET, 40), Optional.of(randomString(SECRET_ALPHABET, 356)),
                    Optional.of(expiration), accountId, arn, userId);
            if (byAccessKey.putIfAbsent(credential.accessKeyId(), credential) == null) {
                forgetExpired();
                return credential;
            }
        }
    }

    public Optional<Credential> find(String accessKeyId) {
        return Optional.ofNullable(accessKeyId).map(byAccessKey::get);
    }

    /** The configured (long-term) users. */
    public List<Credential> users() {
        return byAccessKey.values().stream().filter(c -> !c.temporary()).toList();
    }

    /** Random characters for ids the sandbox makes up. */
    String randomString(String alphabet, int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
    }

    String randomId(int length) {
        return randomString(KEY_ALPHABET, length);
    }

    // Expired keys stay answerable as "expired" for a day, then go, so a long-running sandbox does not grow.
    private void forgetExpired() {
        Instant cutoff = clock.instant().minus(Duration.ofDays(1));
        byAccessKey.values().removeIf(c -> c.expiredAt(cutoff));
    }
}
