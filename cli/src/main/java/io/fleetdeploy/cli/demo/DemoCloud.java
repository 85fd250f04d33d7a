package io.fleetdeploy.cli.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.operation.LeaseOptions;
import io.fleetdeploy.core.operation.Sleeper;
import io.fleetdeploy.core.rds.RdsDatabases;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.schema.DatabaseTarget;
import io.fleetdeploy.core.schema.Secret;
import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.SandboxConfig;
import io.fleetdeploy.sandbox.runtime.DatabaseServer;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The demo's cloud: a sandbox with one PostgreSQL, and per strategy its groups (empty at first),
 * target groups and a listener; plus the SDK clients and settings every fleet-deploy part uses to
 * reach it. Keys and the database password are made up per run and never printed.
 */
final class DemoCloud implements AutoCloseable {

    static final String DATABASE = "demo-db";
    private static final String DB_USER = "fleet";
    /** How often a pull worker's agent polls its channel. */
    static final Duration PULL_POLL_INTERVAL = Duration.ofSeconds(4);

    private final Sandbox sandbox;
    private final AwsSettings aws;
    private final AwsSettings s3Settings;
    private final DatabaseTarget database;
    private final AutoScalingClient autoScaling;
    private final ElasticLoadBalancingV2Client elb;
    private final S3Client s3;
    private final RdsDatabases rds;

    private DemoCloud(Sandbox sandbox, String dbPassword) {
        this.sandbox = sandbox;
        SandboxConfig.User user = sandbox.users().get(0);
        this.aws = new AwsSettings(Region.of(sandbox.region()), sandbox.awsEndpoint(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(user.accessKeyId(), user.secretAccessKey())));
        this.s3Settings = aws.withEndpoint(sandbox.s3Endpoint());
        DatabaseServer server = sandbox.databases().get(DATABASE);
        this.database = DatabaseTarget.jdbc(server.jdbcUrl(), DB_USER, Secret.of(dbPassword));
        this.autoScaling = AwsClients.configure(AutoScalingClient.builder(), aws).build();
        this.elb = AwsClients.configure(ElasticLoadBalancingV2Client.builder(), aws).build();
        this.s3 = AwsClients.s3(s3Settings);
        this.rds = RdsDatabases.of(aws);
    }

    /** Starts the sandbox for one strategy; every group starts with no instance. */
    static DemoCloud start(Strategy strategy, int instances, Path agentScript) {
        String dbPassword = randomHex(12);
        SandboxConfig config = SandboxConfig.parse(configJson(List.of(strategy), instances, dbPassword), "(demo)")
                .withAgentScript(agentScript);
        Sandbox sandbox = Sandbox.start(config);
        try {
            return new DemoCloud(sandbox, dbPassword);
        } catch (RuntimeException e) {
            sandbox.close();
            throw e;
        }
    }

    static String configJson(List<Strategy> strategies, int instances, String dbPassword) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("region", "us-east-1");
        root.put("bucket", "fleet-demo");
        root.put("prefix", "");
        root.put("bootDelayMillis", 500);
        ObjectNode user = root.putArray("users").addObject();
        user.put("name", "demo");
        user.put("accessKeyId", "AKIADEMO" + randomHex(6).toUpperCase());
        user.put("secretAccessKey", randomHex(20));
        ArrayNode groups = root.putArray("groups");
        ArrayNode targetGroups = root.putArray("targetGroups");
        ArrayNode loadBalancers = root.putArray("loadBalancers");
        for (Strategy strategy : strategies) {
            for (String name : strategy.groups()) {
                ObjectNode group = groups.addObject();
                group.put("name", name);
                group.put("app", strategy.app());
                // New instances install what the channel named after the group points at (rolloutGroup's default channel).
                group.put("channel", name);
                group.put("minSize", 0);
                group.put("maxSize", instances * 2);
                group.put("desiredCapacity", 0);
                group.put("healthCheckType", "ELB");
                group.put("healthCheckGracePeriodSeconds", 30);
                if (strategy == Strategy.PULL) {
                    // The pull workers' systemd timer: the sandbox runs fleet-agent.sh poll on each instance.
                    group.put("agentPollIntervalMillis", PULL_POLL_INTERVAL.toMillis());
                }
                group.putArray("targetGroups").add(name);
                ObjectNode targetGroup = targetGroups.addObject();
                targetGroup.put("name", name);
                targetGroup.put("port", 80);
                ObjectNode check = targetGroup.putObject("healthCheck");
                check.put("path", "/health");
                check.put("intervalMillis", 1000);
                check.put("timeoutMillis", 500);
                check.put("healthyThreshold", 2);
                check.put("unhealthyThreshold", 2);
                targetGroup.put("deregistrationDelayMillis", 2000);
            }
            ObjectNode loadBalancer = loadBalancers.addObject();
            loadBalancer.put("name", strategy.loadBalancer());
            ArrayNode forward = loadBalancer.putArray("listeners").addObject().put("port", 80).putArray("forward");
            forward.addObject().put("targetGroup", strategy.serving()).put("weight", 1);
            if (strategy.idle() != null) {
                // Green is on the listener at weight 0, as blue/green setups have it: a target group no
                // listener uses is not health-checked (its targets read "unused"), so green could never turn healthy.
                forward.addObject().put("targetGroup", strategy.idle()).put("weight", 0);
            }
        }
        ObjectNode db = root.putArray("databases").addObject();
        db.put("identifier", DATABASE);
        db.put("dbName", "demo");
        db.put("masterUsername", DB_USER);
        db.put("masterPassword", dbPassword);
        return root.toString();
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    Sandbox sandbox() {
        return sandbox;
    }

    S3Layout layout(String app) {
        return S3Layout.of(sandbox.bucket(), sandbox.prefix(), app);
    }

    /** The wiring rolloutGroup, drainGroup and switchTraffic use (AwsFleet), for one app. */
    AwsFleet fleet(String app, Sleeper sleeper, ProgressListener progress) {
        AwsFleet.Options options = new AwsFleet.Options("fleet-deploy demo", Duration.ofSeconds(1), LeaseOptions.defaults(),
                sandbox.s3Endpoint().toString(), null);
        return new AwsFleet(aws, s3Settings, layout(app), options, Clock.systemUTC(), sleeper, progress);
    }

    Releases releases(String app, ProgressListener progress) {
        return Releases.connect(s3Settings, layout(app), progress);
    }

    DatabaseTarget database() {
        return database;
    }

    RdsDatabases rds() {
        return rds;
    }

    AutoScalingClient autoScaling() {
        return autoScaling;
    }

    ElasticLoadBalancingV2Client elb() {
        return elb;
    }

    S3Client s3() {
        return s3;
    }

    URI listenerUrl(Strategy strategy) {
        URI url = sandbox.listenerUrls().get(strategy.loadBalancer() + ":80");
        if (url == null) {
            throw new IllegalStateException("the sandbox has no listener " + strategy.loadBalancer() + ":80");
        }
        return url;
    }

    @Override
    public void close() {
        try (sandbox; autoScaling; elb; s3; rds) {
            // closes all, the sandbox last
        }
    }
}
