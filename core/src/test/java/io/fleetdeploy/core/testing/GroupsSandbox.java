package io.fleetdeploy.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.operation.S3Leases;
import io.fleetdeploy.core.release.ChannelUpdate;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.SandboxConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A sandbox for rollout tests: app "shop", one Auto Scaling group per name, each with its own
 * target group behind its own listener (fast health checks), releases published, every group's
 * channel at the first version and {@code size} instances serving it. One per test class.
 */
public final class GroupsSandbox implements AutoCloseable {

    public static final String ACCESS_KEY = "AKIAFLEETOPSTESTS001";
    public static final String SECRET_KEY = "fleetOpsSandboxTestSecret00000000001";
    private static final String HEALTH = "\"healthCheck\": {\"intervalMillis\": 200, \"timeoutMillis\": 150,"
            + " \"healthyThreshold\": 2, \"unhealthyThreshold\": 2}, \"deregistrationDelayMillis\": 500";

    private final Sandbox sandbox;
    private final List<String> groups;
    private final int size;
    private final AwsSettings aws;
    private final AwsSettings s3;
    private final S3Layout layout;
    private final AutoScalingClient autoScaling;
    private final ElasticLoadBalancingV2Client elbv2;

    private GroupsSandbox(Sandbox sandbox, List<String> groups, int size) {
        this.sandbox = sandbox;
        this.groups = List.copyOf(groups);
        this.size = size;
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
        this.aws = new AwsSettings(Region.of(sandbox.region()), sandbox.awsEndpoint(), credentials);
        this.s3 = aws.withEndpoint(sandbox.s3Endpoint());
        this.layout = S3Layout.of(sandbox.bucket(), sandbox.prefix(), "shop");
        this.autoScaling = AwsClients.configure(AutoScalingClient.builder(), aws).build();
        this.elbv2 = AwsClients.configure(ElasticLoadBalancingV2Client.builder(), aws).build();
    }

    /**
     * @param versions published in this order; a version containing "unhealthy" fails its health checks.
     *                 Every group's channel points at the first, which its instances serve on return.
     */
    public static GroupsSandbox start(String name, List<String> groups, int size, List<String> versions) {
        StringBuilder groupsJson = new StringBuilder();
        StringBuilder targetGroups = new StringBuilder();
        StringBuilder listeners = new StringBuilder();
        int port = 80;
        for (String g : groups) {
            String comma = listeners.length() == 0 ? "" : ",";
            // A target group health-checks only while a listener forwards to it (as in AWS).
            listeners.append(comma).append("{\"port\": ").append(port++).append(", \"forward\": [{\"targetGroup\": \"").append(g)
                    .append("\", \"weight\": 1}]}");
            groupsJson.append(comma).append("{\"name\": \"").append(g).append("\", \"app\": \"shop\", \"channel\": \"").append(g)
                    .append("\", \"minSize\": 0, \"maxSize\": ").append(2 * size).append(", \"desiredCapacity\": 0, \"targetGroups\": [\"")
                    .append(g).append("\"]}");
            targetGroups.append(comma).append("{\"name\": \"").append(g).append("\", ").append(HEALTH).append("}");
        }
        String config = "{\"users\": [{\"name\": \"deployer\", \"accessKeyId\": \"" + ACCESS_KEY + "\", \"secretAccessKey\": \"" + SECRET_KEY
                + "\"}], \"bootDelayMillis\": 100, \"targetGroups\": [" + targetGroups + "], \"groups\": [" + groupsJson + "],"
                + " \"loadBalancers\": [{\"name\": \"shop\", \"listeners\": [" + listeners + "]}]}";
        Sandbox sandbox = Sandbox.start(SandboxConfig.parse(config, name).withAgentScript(Path.of("../agent/fleet-agent.sh")));
        GroupsSandbox fixture = new GroupsSandbox(sandbox, groups, size);
        try {
            fixture.publishAndScale(versions);
        } catch (RuntimeException | Error e) {
            fixture.close();
            throw e;
        }
        return fixture;
    }

    private void publishAndScale(List<String> versions) {
        try (Releases releases = Releases.connect(s3, layout, ProgressListener.NONE)) {
            Path builds = Files.createDirectories(sandbox.workDir().resolve("groups-sandbox-builds"));
            for (String version : versions) {
                Path dir = Files.createDirectories(builds.resolve(version));
                Files.writeString(dir.resolve("app.properties"), "version=" + version + "\n"
                        + (version.contains("unhealthy") ? "healthy=false\n" : ""));
                releases.publish(PublishRequest.of(dir, version));
            }
            for (String g : groups) {
                releases.setChannel(ChannelUpdate.of(g, versions.get(0), "test", false));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String g : groups) {
            autoScaling.setDesiredCapacity(b -> b.autoScalingGroupName(g).desiredCapacity(size));
        }
        for (String g : groups) {
            Await.until("group " + g + " serves " + versions.get(0) + " on " + size + " instances", Duration.ofMinutes(5),
                    () -> servingVersion(g, versions.get(0), size));
        }
    }

    public Sandbox sandbox() {
        return sandbox;
    }

    /** Auto Scaling, ELBv2 and SSM. */
    public AwsSettings aws() {
        return aws;
    }

    /** The release bucket (its own endpoint in the sandbox). */
    public AwsSettings s3() {
        return s3;
    }

    public S3Layout layout() {
        return layout;
    }

    public AutoScalingClient autoScaling() {
        return autoScaling;
    }

    public AutoScalingGroup group(String name) {
        return autoScaling.describeAutoScalingGroups(b -> b.autoScalingGroupNames(name)).autoScalingGroups().get(0);
    }

    /** The group's instance ids, sorted (the order push batches take them in). */
    public List<String> instanceIds(String group) {
        return group(group).instances().stream().map(i -> i.instanceId()).sorted().toList();
    }

    /** {@code count} InService instances, each answering on its own port with {@code version}. */
    public boolean servingVersion(String groupName, String version, int count) {
        List<String> inService = group(groupName).instances().stream().filter(i -> "InService".equals(i.lifecycleStateAsString()))
                .map(i -> i.instanceId()).toList();
        if (inService.size() != count) {
            return false;
        }
        return inService.stream().allMatch(id -> sandbox.instance(id).flatMap(m -> m.host().currentVersion()).map(version::equals).orElse(false));
    }

    /** Every target registered in the group's target group is healthy (nothing draining or failing gets traffic). */
    public boolean onlyHealthyTargets(String targetGroupName) {
        String arn = elbv2.describeTargetGroups(b -> b.names(targetGroupName)).targetGroups().get(0).targetGroupArn();
        List<TargetHealthDescription> targets = elbv2.describeTargetHealth(b -> b.targetGroupArn(arn)).targetHealthDescriptions();
        return !targets.isEmpty() && targets.stream().allMatch(t -> t.targetHealth().state() == TargetHealthStateEnum.HEALTHY);
    }

    /**
     * The final-state check of every rollout test: faults cleared, then per group no instance in
     * Standby, no suspended process, the capacity as set up, traffic only on healthy targets, no lease.
     */
    public void assertNothingLeftBehind() {
        sandbox.faults().clear();
        sandbox.instances().forEach(m -> m.commandFault(false));
        try (S3Client client = AwsClients.s3(s3)) {
            S3Leases leases = new S3Leases(client, layout, Clock.systemUTC(), d -> { });
            for (String g : groups) {
                Await.until("traffic of " + g + " goes only to healthy targets", Duration.ofSeconds(30), () -> onlyHealthyTargets(g));
                AutoScalingGroup group = group(g);
                assertThat(group.instances()).as("no instance of %s left in Standby", g).noneMatch(i -> i.lifecycleStateAsString().contains("Standby"));
                assertThat(group.suspendedProcesses()).as("no process of %s left suspended", g).isEmpty();
                assertThat(group.desiredCapacity()).as("capacity of %s as before", g).isEqualTo(size);
                assertThat(leases.read(g)).as("no lease left on %s", g).isEmpty();
            }
        }
    }

    @Override
    public void close() {
        autoScaling.close();
        elbv2.close();
        sandbox.close();
    }
}
