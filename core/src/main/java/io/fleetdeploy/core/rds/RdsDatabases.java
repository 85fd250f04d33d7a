package io.fleetdeploy.core.rds;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsSettings;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.rds.model.DBInstance;
import software.amazon.awssdk.services.rds.model.DbInstanceNotFoundException;
import software.amazon.awssdk.services.rds.model.DBSnapshot;
import software.amazon.awssdk.services.rds.model.DbSnapshotAlreadyExistsException;
import software.amazon.awssdk.services.rds.model.DbSnapshotNotFoundException;

/**
 * The RDS calls of migrateSchema: find an instance's endpoint and engine, sign an IAM
 * authentication token, take a snapshot and wait until it is available. The SDK client is made
 * on first use, so a JDBC-only migration needs no AWS region or credentials.
 */
public final class RdsDatabases implements AutoCloseable {

    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)");
    private static final DateTimeFormatter SNAPSHOT_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC);
    private static final int MAX_SNAPSHOT_ID = 255;

    private final Supplier<RdsClient> clientFactory;
    private RdsClient client;

    public RdsDatabases(Supplier<RdsClient> clientFactory) {
        this.clientFactory = Objects.requireNonNull(clientFactory, "clientFactory");
    }

    /** An adapter whose client uses these settings (region, endpoint override, credentials). */
    public static RdsDatabases of(AwsSettings settings) {
        return new RdsDatabases(() -> AwsClients.configure(RdsClient.builder(), settings).build());
    }

    private synchronized RdsClient client() {
        if (client == null) {
            client = clientFactory.get();
        }
        return client;
    }

    /** RDS's rule for DB instance identifiers, checked before any call. */
    public static boolean isInstanceIdentifier(String value) {
        return value != null && INSTANCE_ID.matcher(value).matches();
    }

    /** DescribeDBInstances for one identifier; an unknown identifier is an error that says so. */
    public RdsInstance describe(String instanceId) {
        requireInstanceIdentifier(instanceId);
        DBInstance instance;
        try {
            instance = client().describeDBInstances(r -> r.dbInstanceIdentifier(instanceId)).dbInstances().stream()
                    .findFirst()
                    .orElseThrow(() -> DbInstanceNotFoundException.builder().message(instanceId).build());
        } catch (DbInstanceNotFoundException e) {
            throw new FleetDeployException(
                    "There is no RDS DB instance '" + instanceId + "' in this account and region.",
                    "Nothing was changed.",
                    "Check the instance identifier, the region (--region) and the account the credentials belong to.", e);
        } catch (SdkException e) {
            throw awsFailure("DescribeDBInstances for '" + instanceId + "' failed", e);
        }
        if (instance.endpoint() == null || instance.endpoint().address() == null) {
            throw new FleetDeployException(
                    "The RDS DB instance '" + instanceId + "' has no endpoint yet (status: " + instance.dbInstanceStatus() + ").",
                    "Nothing was changed.",
                    "Wait until the instance is available, then run again.");
        }
        return new RdsInstance(instance.dbInstanceIdentifier(), instance.engine(), instance.endpoint().address(),
                instance.endpoint().port() == null ? 0 : instance.endpoint().port(), instance.dbName(),
                instance.masterUsername(), Boolean.TRUE.equals(instance.iamDatabaseAuthenticationEnabled()),
                instance.dbInstanceStatus());
    }

    /**
     * An IAM authentication token (valid 15 minutes) for {@code user} at {@code host:port}, signed
     * locally with the client's credentials and region. It is a secret: never print it.
     */
    public String authenticationToken(String host, int port, String user) {
        try {
            return client().utilities().generateAuthenticationToken(b -> b.hostname(host).port(port).username(user));
        } catch (SdkException e) {
            throw awsFailure("Signing an RDS IAM authentication token for user '" + user + "' at " + host + ":" + port + " failed", e);
        }
    }

    /**
     * CreateDBSnapshot, then waits (at most {@code timeout}, polling every {@code pollInterval})
     * until the snapshot is available.
     *
     * @return the snapshot identifier
     */
    public String snapshot(String instanceId, String snapshotId, Duration timeout, Duration pollInterval, ProgressListener progress) {
        startSnapshot(instanceId, snapshotId);
        progress.info("Waiting up to " + timeout.toSeconds() + " s for RDS snapshot " + snapshotId + " to become available");
        try {
            client().waiter().waitUntilDBSnapshotAvailable(
                    r -> r.dbSnapshotIdentifier(snapshotId),
                    w -> w.waitTimeout(timeout)
                            .maxAttempts(Integer.MAX_VALUE)
                            .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(pollInterval)));
        } catch (SdkException e) {
            throw new FleetDeployException(
                    "RDS snapshot " + snapshotId + " of '" + instanceId + "' did not become available within "
                            + timeout.toSeconds() + " s (" + e.getMessage() + ").",
                    "No migration ran. The snapshot request stands and may still complete.",
                    "Check the snapshot in the RDS console (delete it if unwanted), then run again, with a longer snapshot timeout if needed.", e);
        }
        progress.info("RDS snapshot " + snapshotId + " is available");
        return snapshotId;
    }

    /**
     * CreateDBSnapshot only, for a caller that waits on a timer of its own (a Jenkins step holds no
     * thread while RDS copies): {@link #snapshotStatus} says when it is available.
     */
    public void startSnapshot(String instanceId, String snapshotId) {
        requireInstanceIdentifier(instanceId);
        try {
            client().createDBSnapshot(r -> r.dbInstanceIdentifier(instanceId).dbSnapshotIdentifier(snapshotId));
        } catch (DbInstanceNotFoundException e) {
            throw new FleetDeployException(
                    "There is no RDS DB instance '" + instanceId + "' to take a snapshot of.",
                    "Nothing was changed: no snapshot was taken and no migration ran.",
                    "Check the instance identifier and the region.", e);
        } catch (DbSnapshotAlreadyExistsException e) {
            throw new FleetDeployException(
                    "An RDS snapshot named '" + snapshotId + "' already exists.",
                    "Nothing was changed: no migration ran.",
                    "Run again (the name carries the time), or delete the old snapshot.", e);
        } catch (SdkException e) {
            throw awsFailure("CreateDBSnapshot '" + snapshotId + "' of '" + instanceId + "' failed", e);
        }
    }

    /**
     * Asks for the snapshot unless RDS already has a snapshot of {@code instanceId} under that identifier: the
     * request repeated by a step that saved the identifier and then stopped (a controller restart) without
     * knowing whether its first request reached RDS. A snapshot of that name of another instance is refused.
     *
     * @return true when this call asked for it, false when it already existed
     */
    public boolean startSnapshotIfMissing(String instanceId, String snapshotId) {
        requireInstanceIdentifier(instanceId);
        Optional<DBSnapshot> existing = findSnapshot(snapshotId);
        if (existing.isEmpty()) {
            try {
                startSnapshot(instanceId, snapshotId);
                return true;
            } catch (FleetDeployException e) {
                if (!(e.getCause() instanceof DbSnapshotAlreadyExistsException)) {
                    throw e;
                }
                existing = findSnapshot(snapshotId); // asked for in between (the first request, arriving late)
            }
        }
        String of = existing.map(DBSnapshot::dbInstanceIdentifier).orElse(null);
        if (!instanceId.equals(of)) {
            throw new FleetDeployException("An RDS snapshot named '" + snapshotId + "' exists, but of DB instance '" + of
                    + "', not of '" + instanceId + "'.", "Nothing was changed: no migration ran.",
                    "Run again (the name carries the time), or delete that snapshot if it is not needed.");
        }
        return false;
    }

    /** The snapshot's status as RDS reports it: "creating", "available", "failed", ... */
    public String snapshotStatus(String snapshotId) {
        return findSnapshot(snapshotId).map(DBSnapshot::status)
                .orElseThrow(() -> new FleetDeployException("RDS has no snapshot " + snapshotId + ".", "No migration ran.",
                        "Check whether someone deleted it, then run again."));
    }

    /** The snapshot of that identifier, or empty when RDS has none. */
    public Optional<DBSnapshot> findSnapshot(String snapshotId) {
        try {
            return client().describeDBSnapshots(r -> r.dbSnapshotIdentifier(snapshotId)).dbSnapshots().stream().findFirst();
        } catch (DbSnapshotNotFoundException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw awsFailure("DescribeDBSnapshots '" + snapshotId + "' failed", e);
        }
    }

    /**
     * A snapshot identifier from app, version and time, within RDS's rule (letters, digits and
     * single hyphens, starting with a letter, at most 255).
     */
    public static String snapshotName(String app, String version, Instant at) {
        Names.requireSafe("app", app);
        String raw = "fleet-" + app + "-" + (version == null ? "unversioned" : version) + "-" + SNAPSHOT_TIME.format(at);
        String cleaned = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("-+", "-");
        if (cleaned.length() > MAX_SNAPSHOT_ID) {
            String time = SNAPSHOT_TIME.format(at);
            cleaned = cleaned.substring(0, MAX_SNAPSHOT_ID - time.length() - 1) + "-" + time;
        }
        return cleaned.replaceAll("-+$", "");
    }

    private static void requireInstanceIdentifier(String instanceId) {
        if (!isInstanceIdentifier(instanceId)) {
            throw FleetDeployException.invalidInput(
                    "The RDS instance identifier '" + instanceId + "' is not valid: 1 to 63 letters, digits or hyphens,"
                            + " starting with a letter, no two hyphens in a row, not ending with a hyphen.",
                    "Give the DB instance identifier as shown by `aws rds describe-db-instances`.");
        }
    }

    private static FleetDeployException awsFailure(String what, SdkException e) {
        return new FleetDeployException(what + ": " + e.getMessage(),
                "Nothing was changed by this step.",
                "Check the credentials, region and endpoint, and that they allow this RDS call.", e);
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
