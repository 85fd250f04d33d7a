package io.fleetdeploy.sandbox.services;

import io.fleetdeploy.sandbox.SandboxConfig;
import io.fleetdeploy.sandbox.aws.AwsApi;
import io.fleetdeploy.sandbox.aws.AwsServiceError;
import io.fleetdeploy.sandbox.aws.CallContext;
import io.fleetdeploy.sandbox.runtime.DatabaseServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.services.rds.model.CreateDbSnapshotRequest;
import software.amazon.awssdk.services.rds.model.CreateDbSnapshotResponse;
import software.amazon.awssdk.services.rds.model.DBInstance;
import software.amazon.awssdk.services.rds.model.DBSnapshot;
import software.amazon.awssdk.services.rds.model.DescribeDbInstancesRequest;
import software.amazon.awssdk.services.rds.model.DescribeDbInstancesResponse;
import software.amazon.awssdk.services.rds.model.DescribeDbSnapshotsRequest;
import software.amazon.awssdk.services.rds.model.DescribeDbSnapshotsResponse;
import software.amazon.awssdk.services.rds.model.Endpoint;
import software.amazon.awssdk.services.rds.model.Filter;

/**
 * RDS: each DB instance is a real PostgreSQL the sandbox runs; a snapshot is a real copy of its
 * data that takes time, during which the instance is {@code backing-up} and refuses another.
 */
public final class RdsService implements AwsApi.Handler {

    /** The least time a snapshot takes (the copy itself may take longer). */
    public static final Duration MINIMUM_SNAPSHOT_TIME = Duration.ofSeconds(3);
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)");

    private final Clock clock;
    private final String arnPrefix;
    private final Map<String, DbEntry> instances = new LinkedHashMap<>();
    private final Map<String, DBSnapshot> snapshots = new LinkedHashMap<>();

    private static final class DbEntry {
        DBInstance model;
        final DatabaseServer server;

        DbEntry(DBInstance model, DatabaseServer server) {
            this.model = model;
            this.server = server;
        }
    }

    /** @param servers the running database of each configured instance, by identifier */
    public RdsService(SandboxConfig config, Map<String, DatabaseServer> servers, Clock clock) {
        this.clock = clock;
        this.arnPrefix = "arn:aws:rds:" + config.region() + ":" + config.accountId() + ":";
        for (SandboxConfig.Database spec : config.databases()) {
            DatabaseServer server = servers.get(spec.identifier());
            instances.put(spec.identifier(), new DbEntry(DBInstance.builder()
                    .dbInstanceIdentifier(spec.identifier()).dbInstanceClass(spec.instanceClass())
                    .engine(server.engine()).engineVersion(server.engineVersion()).dbInstanceStatus("available")
                    .masterUsername(spec.masterUsername()).dbName(spec.dbName())
                    .endpoint(Endpoint.builder().address(server.host()).port(server.port())
                            .hostedZoneId("Z2R2ITUGPM61AM").build())
                    .dbInstancePort(0).allocatedStorage(20).storageType("gp2").storageEncrypted(false)
                    .instanceCreateTime(clock.instant()).availabilityZone(config.region() + "a").multiAZ(false)
                    .publiclyAccessible(false).autoMinorVersionUpgrade(true).licenseModel("postgresql-license")
                    .backupRetentionPeriod(7).preferredBackupWindow("03:00-04:00")
                    .preferredMaintenanceWindow("sun:05:00-sun:06:00")
                    .iamDatabaseAuthenticationEnabled(spec.iamAuthentication()).deletionProtection(false)
                    .dbiResourceId("db-" + spec.identifier().toUpperCase().replace('-', '0'))
                    .dbInstanceArn(arnPrefix + "db:" + spec.identifier())
                    .caCertificateIdentifier("rds-ca-rsa2048-g1").copyTagsToSnapshot(false).build(), server));
        }
    }

    @Override
    public synchronized AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
        return switch (action) {
            case "DescribeDBInstances" -> describeInstances((DescribeDbInstancesRequest) request);
            case "CreateDBSnapshot" -> createSnapshot((CreateDbSnapshotRequest) request);
            case "DescribeDBSnapshots" -> describeSnapshots((DescribeDbSnapshotsRequest) request);
            default -> throw new AwsServiceError(400, "InvalidAction",
                    "The action " + action + " is not valid for this web service (the sandbox does not answer it).");
        };
    }

    private DescribeDbInstancesResponse describeInstances(DescribeDbInstancesRequest request) throws AwsServiceError {
        List<DBInstance> selected = instances.values().stream().map(e -> e.model).toList();
        if (request.dbInstanceIdentifier() != null) {
            DbEntry entry = instances.get(request.dbInstanceIdentifier());
            if (entry == null) {
                throw notFound(request.dbInstanceIdentifier());
            }
            selected = List.of(entry.model);
        }
        if (request.hasFilters()) {
            for (Filter filter : request.filters()) {
                Set<String> values = new LinkedHashSet<>(filter.values());
                Predicate<DBInstance> test = switch (filter.name() == null ? "" : filter.name()) {
                    case "db-instance-id" -> d -> values.contains(d.dbInstanceIdentifier()) || values.contains(d.dbInstanceArn());
                    case "engine" -> d -> values.contains(d.engine());
                    default -> throw new AwsServiceError(400, "InvalidParameterValue",
                            "Unrecognized filter name: " + filter.name() + ".");
                };
                selected = selected.stream().filter(test).toList();
            }
        }
        Page<DBInstance> page = Page.of(selected, request.marker(), request.maxRecords(), 100, 20, 100,
                "InvalidParameterValue");
        return DescribeDbInstancesResponse.builder().dbInstances(page.items()).marker(page.nextToken()).build();
    }

    private CreateDbSnapshotResponse createSnapshot(CreateDbSnapshotRequest request) throws AwsServiceError {
        String snapshotId = request.dbSnapshotIdentifier();
        if (snapshotId == null || !IDENTIFIER.matcher(snapshotId).matches()) {
            throw new AwsServiceError(400, "InvalidParameterValue", "The parameter DBSnapshotIdentifier is not a valid"
                    + " identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and"
                    + " hyphens; and must not end with a hyphen or contain two consecutive hyphens.");
        }
        DbEntry entry = instances.get(request.dbInstanceIdentifier());
        if (entry == null) {
            throw notFound(request.dbInstanceIdentifier());
        }
        if (snapshots.containsKey(snapshotId)) {
            throw new AwsServiceError(400, "DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot"
                    + " with the identifier " + snapshotId + " already exists.");
        }
        if (!"available".equals(entry.model.dbInstanceStatus())) {
            throw new AwsServiceError(400, "InvalidDBInstanceState", "Cannot create a snapshot because the database"
                    + " instance " + request.dbInstanceIdentifier() + " is not currently in the available state.");
        }
        Instant now = clock.instant();
        DBInstance db = entry.model;
        DBSnapshot snapshot = DBSnapshot.builder().dbSnapshotIdentifier(snapshotId)
                .dbInstanceIdentifier(db.dbInstanceIdentifier()).snapshotCreateTime(now).originalSnapshotCreateTime(now)
                .engine(db.engine()).engineVersion(db.engineVersion()).allocatedStorage(db.allocatedStorage())
                .status("creating").port(db.endpoint().port()).availabilityZone(db.availabilityZone()).vpcId("vpc-0fleet0sandbox000")
                .instanceCreateTime(db.instanceCreateTime()).masterUsername(db.masterUsername())
                .licenseModel(db.licenseModel()).snapshotType("manual").percentProgress(0).storageType(db.storageType())
                .encrypted(false).dbSnapshotArn(arnPrefix + "snapshot:" + snapshotId)
                .iamDatabaseAuthenticationEnabled(db.iamDatabaseAuthenticationEnabled()).dbiResourceId(db.dbiResourceId())
                .snapshotTarget("region").tagList(request.hasTags() ? toSnapshotTags(request) : List.of()).build();
        snapshots.put(snapshotId, snapshot);
        entry.model = db.toBuilder().dbInstanceStatus("backing-up").build();
        // A real RDS snapshot takes minutes; the copy of a small sandbox database takes a moment. A
        // floor keeps "creating" and "backing-up" observable, as callers must wait for them on AWS.
        CompletableFuture<Void> floor = CompletableFuture.runAsync(() -> { },
                CompletableFuture.delayedExecutor(MINIMUM_SNAPSHOT_TIME.toMillis(), TimeUnit.MILLISECONDS));
        entry.server.snapshot(snapshotId).thenCombine(floor, (done, ignored) -> done).whenComplete((done, failure) -> {
            synchronized (this) {
                DBSnapshot current = snapshots.get(snapshotId);
                snapshots.put(snapshotId, current.toBuilder().status(failure == null ? "available" : "failed")
                        .percentProgress(failure == null ? 100 : current.percentProgress()).build());
                entry.model = entry.model.toBuilder().dbInstanceStatus("available")
                        .latestRestorableTime(failure == null ? done.created() : entry.model.latestRestorableTime()).build();
            }
        });
        return CreateDbSnapshotResponse.builder().dbSnapshot(snapshot).build();
    }

    private static List<software.amazon.awssdk.services.rds.model.Tag> toSnapshotTags(CreateDbSnapshotRequest request) {
        return List.copyOf(request.tags());
    }

    private DescribeDbSnapshotsResponse describeSnapshots(DescribeDbSnapshotsRequest request) throws AwsServiceError {
        List<DBSnapshot> selected = new ArrayList<>(snapshots.values());
        if (request.dbSnapshotIdentifier() != null) {
            DBSnapshot snapshot = snapshots.get(request.dbSnapshotIdentifier());
            if (snapshot == null) {
                throw new AwsServiceError(404, "DBSnapshotNotFound", "DBSnapshot " + request.dbSnapshotIdentifier()
                        + " not found.");
            }
            selected = List.of(snapshot);
        }
        if (request.dbInstanceIdentifier() != null) {
            selected = selected.stream().filter(s -> s.dbInstanceIdentifier().equals(request.dbInstanceIdentifier())).toList();
        }
        if (request.snapshotType() != null) {
            selected = selected.stream().filter(s -> s.snapshotType().equals(request.snapshotType())).toList();
        }
        Page<DBSnapshot> page = Page.of(selected, request.marker(), request.maxRecords(), 100, 20, 100,
                "InvalidParameterValue");
        return DescribeDbSnapshotsResponse.builder().dbSnapshots(page.items()).marker(page.nextToken()).build();
    }

    private static AwsServiceError notFound(String identifier) {
        return new AwsServiceError(404, "DBInstanceNotFound", "DBInstance " + identifier + " not found.");
    }
}
