package io.fleetdeploy.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsFleet;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.operation.LeaseOptions;
import io.fleetdeploy.core.operation.S3Leases;
import io.fleetdeploy.core.release.ChannelUpdate;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.sandbox.Sandbox;
import io.fleetdeploy.sandbox.SandboxConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.SuspendedProcess;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Action;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupTuple;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * JUnit 5 extension: one sandbox per test class for the fleet operations: small groups, each with
 * its own target group and a listener forwarding to it (a target group health-checks only while a
 * listener forwards to it, as in AWS), releases 1.0, 2.0 and 2.1-unhealthy published, every channel
 * on 1.0. After every test it clears the API and SSM faults a test injected, then runs the final-state
 * check against what it saw before the test (or at the last {@link #rememberNow()}): nothing the
 * test's operations changed is left behind.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SandboxFleet SANDBOX = new SandboxFleet("MyTest", List.of(new GroupSpec("web", 2, 0)));
 * }</pre>
 */
public final class SandboxFleet implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, AutoCloseable {

    public static final String APP = "shop";
    public static final String OLD = "1.0";
    public static final String NEW = "2.0";
    /** Installs fine, but the instance's health check fails. */
    public static final String UNHEALTHY = "2.1-unhealthy";

    private static final String ACCESS_KEY = "AKIAFLEETPATHSTEST01";
    private static final String SECRET_KEY = "fleetPathsSandboxTestSecret000000000001";

    /**
     * @param instances       desired capacity at the start (0: an idle group, e.g. green)
     * @param agentPollMillis the agent's poll timer (pull groups); 0: none
     * @param deregistrationDelayMillis how long its target group drains a deregistered target
     */
    public record GroupSpec(String name, int instances, long agentPollMillis, long deregistrationDelayMillis) {
        public GroupSpec(String name, int instances, long agentPollMillis) {
            this(name, instances, agentPollMillis, 500);
        }
    }

    private final String name;
    private final List<GroupSpec> groups;
    private Sandbox sandbox;
    private AwsSettings aws;
    private AwsSettings s3Settings;
    private S3Layout layout;
    private AutoScalingClient autoScaling;
    private ElasticLoadBalancingV2Client elbv2;
    private S3Client s3;
    private Snapshot before;

    public SandboxFleet(String name, List<GroupSpec> groups) {
        this.name = name;
        this.groups = List.copyOf(groups);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        open();
    }

    /** Starts the sandbox outside JUnit (a benchmark's main): every group serves 1.0 on return. Close it when done. */
    public SandboxFleet open() throws Exception {
        try {
            start();
        } catch (Exception | AssertionError e) {
            close();
            throw e;
        }
        return this;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        rememberNow();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        // A test that failed half-way must not throttle the check, nor the next test.
        sandbox.faults().clear();
        sandbox.instances().forEach(m -> m.commandFault(false));
        assertNothingLeftBehind(before);
    }

    /** Runs {@code operation} while 30 % of the AWS API calls are throttled and 5 % answer a 5xx, then clears those faults. */
    public <T> T underApiFaults(Supplier<T> operation) {
        sandbox.faults().setThrottleRate(0.3);
        sandbox.faults().setServerErrorRate(0.05);
        try {
            return operation.get();
        } finally {
            sandbox.faults().clear();
        }
    }

    /** The deployer's keys, as a process (the CLI) finds them in its environment. */
    public Map<String, String> credentialsEnvironment() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    }

    /** What the final-state check compares with from now on: for a test whose first step is meant to change the fleet (a replace). */
    public void rememberNow() {
        before = snapshot();
    }

    private void connect() {
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
        this.aws = new AwsSettings(Region.of(sandbox.region()), sandbox.awsEndpoint(), credentials);
        this.s3Settings = aws.withEndpoint(sandbox.s3Endpoint());
        this.layout = S3Layout.of(sandbox.bucket(), sandbox.prefix(), APP);
        this.autoScaling = AwsClients.configure(AutoScalingClient.builder(), aws).build();
        this.elbv2 = AwsClients.configure(ElasticLoadBalancingV2Client.builder(), aws).build();
        this.s3 = AwsClients.s3(s3Settings);
    }

    /** Starts the sandbox and waits (bounded) until every group serves 1.0 on its instances. */
    private void start() throws Exception {
        StringBuilder groupJson = new StringBuilder();
        StringBuilder targetGroups = new StringBuilder();
        StringBuilder listeners = new StringBuilder();
        int port = 80;
        for (GroupSpec g : groups) {
            String comma = groupJson.length() == 0 ? "" : ",";
            listeners.append(comma).append("{\"port\": ").append(port++).append(", \"forward\": [{\"targetGroup\": \"").append(g.name())
                    .append("\", \"weight\": 1}]}");
            groupJson.append(comma).append("{\"name\": \"").append(g.name()).append("\", \"app\": \"").append(APP).append("\", \"channel\": \"")
                    .append(g.name()).append("\", \"minSize\": 0, \"maxSize\": ").append(Math.max(4, 2 * g.instances())).append(", \"desiredCapacity\": 0, \"targetGroups\": [\"").append(g.name())
                    .append("\"]").append(g.agentPollMillis() > 0 ? ", \"agentPollIntervalMillis\": " + g.agentPollMillis() : "").append("}");
            targetGroups.append(comma).append("{\"name\": \"").append(g.name()).append("\", \"healthCheck\": {\"intervalMillis\": 200,"
                    + " \"timeoutMillis\": 150, \"healthyThreshold\": 2, \"unhealthyThreshold\": 2}, \"deregistrationDelayMillis\": ")
                    .append(g.deregistrationDelayMillis()).append("}");
        }
        String config = "{\"users\": [{\"name\": \"deployer\", \"accessKeyId\": \"" + ACCESS_KEY + "\", \"secretAccessKey\": \"" + SECRET_KEY
                + "\"}], \"bootDelayMillis\": 100, \"targetGroups\": [" + targetGroups + "], \"groups\": [" + groupJson + "],"
                + " \"loadBalancers\": [{\"name\": \"" + APP + "\", \"listeners\": [" + listeners + "]}]}";
        sandbox = Sandbox.start(SandboxConfig.parse(config, name).withAgentScript(Path.of("../agent/fleet-agent.sh")));
        connect();
        publishAndLaunch();
    }

    private void publishAndLaunch() throws Exception {
        Path builds = Files.createDirectories(sandbox.workDir().resolve("sandbox-fleet-builds"));
        try (Releases releases = Releases.connect(s3Settings, layout, ProgressListener.NONE)) {
            for (String version : List.of(OLD, NEW, UNHEALTHY)) {
                Path dir = Files.createDirectories(builds.resolve(version));
                Files.writeString(dir.resolve("app.properties"), "version=" + version + "\n"
                        + (version.equals(UNHEALTHY) ? "healthy=false\n" : ""));
                releases.publish(PublishRequest.of(dir, version));
            }
            for (GroupSpec g : groups) {
                releases.setChannel(ChannelUpdate.of(g.name(), OLD, "test", false));
            }
        }
        for (GroupSpec g : groups) {
            if (g.instances() > 0) {
                autoScaling.setDesiredCapacity(b -> b.autoScalingGroupName(g.name()).desiredCapacity(g.instances()));
            }
        }
        for (GroupSpec g : groups) {
            // Each launch installs 1.0 with the agent and the AWS CLI: a benchmark's 50 or 100 instances on a loaded
            // machine take longer than a test's few, so the bound grows with the group.
            Await.until("group " + g.name() + " serves " + OLD + " on " + g.instances() + " instances",
                    Duration.ofMinutes(5).plusSeconds(6L * g.instances()), () -> servingVersion(g.name(), OLD, g.instances()));
        }
    }

    /** The engine wired to the sandbox, polling every 250 ms, as the CLI wires it to AWS. */
    public AwsFleet fleet(String holder, ProgressListener progress) {
        return fleet(holder, progress, Duration.ofMillis(250));
    }

    /** The same with another poll interval (the CLI's default is 5 s). */
    public AwsFleet fleet(String holder, ProgressListener progress, Duration pollInterval) {
        return new AwsFleet(aws, s3Settings, layout, new AwsFleet.Options(holder, pollInterval, LeaseOptions.defaults(), null, null),
                Clock.systemUTC(), d -> Thread.sleep(d.toMillis()), progress);
    }

    public Sandbox sandbox() {
        return sandbox;
    }

    /** The groups' leases in the sandbox's bucket, as another operation (an operator's CLI run) takes and releases them. */
    public S3Leases leases() {
        return new S3Leases(s3, layout, Clock.systemUTC());
    }

    public AutoScalingClient autoScaling() {
        return autoScaling;
    }

    public ElasticLoadBalancingV2Client elbv2() {
        return elbv2;
    }

    public AutoScalingGroup group(String name) {
        return autoScaling.describeAutoScalingGroups(b -> b.autoScalingGroupNames(name)).autoScalingGroups().get(0);
    }

    public List<String> inServiceIds(String group) {
        return group(group).instances().stream().filter(i -> "InService".equals(i.lifecycleStateAsString()))
                .map(i -> i.instanceId()).sorted().toList();
    }

    /** {@code count} InService instances, each answering on its own port with {@code version}. */
    public boolean servingVersion(String group, String version, int count) {
        List<String> inService = inServiceIds(group);
        return inService.size() == count && inService.stream()
                .allMatch(id -> sandbox.instance(id).flatMap(m -> m.host().currentVersion()).map(version::equals).orElse(false));
    }

    /** Makes the instance's health check fail (true) or pass again (false). */
    public void failHealth(String instanceId, boolean failing) {
        sandbox.instance(instanceId).orElseThrow().host().setHealthFault(failing);
    }

    public String targetGroupArn(String name) {
        return elbv2.describeTargetGroups(b -> b.names(name)).targetGroups().get(0).targetGroupArn();
    }

    /** The listener created for {@code group}'s target group (the n-th group gets port 80 + n). */
    public String listenerArn(String group) {
        int port = listenerPort(group);
        return listeners().stream().filter(l -> l.port() == port).findFirst().orElseThrow().listenerArn();
    }

    /** Where that listener answers HTTP. */
    public URI listenerUrl(String group) {
        return sandbox.listenerUrls().get(APP + ":" + listenerPort(group));
    }

    private int listenerPort(String group) {
        return 80 + groups.stream().map(GroupSpec::name).toList().indexOf(group);
    }

    public Action listenerAction(String listenerArn) {
        return elbv2.describeListeners(b -> b.listenerArns(listenerArn)).listeners().get(0).defaultActions().get(0);
    }

    public String channelVersion(String channel) {
        try (Releases releases = Releases.connect(s3Settings, layout, ProgressListener.NONE)) {
            return releases.channel(channel).map(c -> c.pointer().version()).orElse(null);
        }
    }

    private List<Listener> listeners() {
        String lb = elbv2.describeLoadBalancers(b -> b.names(APP)).loadBalancers().get(0).loadBalancerArn();
        return elbv2.describeListeners(b -> b.loadBalancerArn(lb)).listeners();
    }

    /**
     * What a test must find again when it ends, whatever happened: per group its Standby instances,
     * suspended processes, capacity and targets not healthy.
     *
     * @param deadRoutes "listener port -> target group" routes that had traffic and no healthy target already (an idle group's preview listener) */
    private record Snapshot(Map<String, GroupState> groups, Set<String> deadRoutes) {
    }

    private record GroupState(Set<String> standby, Set<String> suspendedProcesses, int min, int max, int desired, Map<String, String> notHealthyTargets) {
    }

    private Snapshot snapshot() {
        Map<String, GroupState> states = new LinkedHashMap<>();
        for (GroupSpec g : groups) {
            states.put(g.name(), state(g.name()));
        }
        return new Snapshot(states, deadRoutes());
    }

    /** Every route of a listener to a target group that gets traffic (weight above 0) but has no healthy target. */
    private Set<String> deadRoutes() {
        Set<String> dead = new TreeSet<>();
        for (Listener listener : listeners()) {
            for (String arn : forwardedTo(listener.defaultActions().get(0))) {
                long healthy = elbv2.describeTargetHealth(b -> b.targetGroupArn(arn)).targetHealthDescriptions().stream()
                        .filter(t -> "healthy".equals(t.targetHealth().stateAsString())).count();
                if (healthy == 0) {
                    dead.add("listener port " + listener.port() + " -> " + arn);
                }
            }
        }
        return dead;
    }

    private GroupState state(String name) {
        AutoScalingGroup g = group(name);
        return new GroupState(g.instances().stream().filter(i -> i.lifecycleStateAsString().contains("Standby")).map(i -> i.instanceId())
                .collect(Collectors.toCollection(TreeSet::new)),
                g.suspendedProcesses().stream().map(SuspendedProcess::processName).collect(Collectors.toCollection(TreeSet::new)),
                g.minSize(), g.maxSize(), g.desiredCapacity(), notHealthyTargets(name));
    }

    /** Instance id -> state of every target registered in the group's target group that is not healthy (initial, unhealthy, draining). */
    private Map<String, String> notHealthyTargets(String group) {
        return elbv2.describeTargetHealth(b -> b.targetGroupArn(targetGroupArn(group))).targetHealthDescriptions().stream()
                .filter(t -> !"healthy".equals(t.targetHealth().stateAsString()))
                .collect(Collectors.toMap(t -> t.target().id(), t -> t.targetHealth().stateAsString(), (a, b) -> a, TreeMap::new));
    }

    /**
     * The final-state check: no instance in Standby that was not before, suspended processes and
     * capacities as before, every target of a group healthy (a replacement or a target re-registered
     * gets 30 s to pass its checks) but for those that were not before, every listener's traffic only
     * on target groups with a healthy target (but for routes that were already without one, like an
     * idle group's own listener), no lease left.
     */
    private void assertNothingLeftBehind(Snapshot before) {
        for (GroupSpec g : groups) {
            GroupState was = before.groups().get(g.name());
            try {
                Await.until("every target of " + g.name() + " is healthy", Duration.ofSeconds(30),
                        () -> was.notHealthyTargets().keySet().containsAll(notHealthyTargets(g.name()).keySet()));
            } catch (AssertionError timedOut) {
                // The assertion below names the targets and their states.
            }
            GroupState now = state(g.name());
            assertThat(now.notHealthyTargets().keySet()).as("targets of %s not healthy 30 s after the test: %s", g.name(), now.notHealthyTargets())
                    .isSubsetOf(was.notHealthyTargets().keySet());
            assertThat(now.standby()).as("instances of %s in Standby", g.name()).isSubsetOf(was.standby());
            assertThat(now.suspendedProcesses()).as("suspended processes of %s", g.name()).isEqualTo(was.suspendedProcesses());
            assertThat(List.of(now.min(), now.max(), now.desired())).as("min, max, desired of %s", g.name())
                    .isEqualTo(List.of(was.min(), was.max(), was.desired()));
        }
        assertThat(deadRoutes()).as("traffic sent to target groups without a healthy target").isSubsetOf(before.deadRoutes());
        String leases = layout.leaseKey("x");
        String leasePrefix = leases.substring(0, leases.length() - "x.json".length());
        assertThat(s3.listObjectsV2Paginator(b -> b.bucket(layout.bucket()).prefix(leasePrefix)).contents())
                .as("leases left under %s", leasePrefix).isEmpty();
    }

    /** The target groups an action sends traffic to (weight above zero). */
    public static List<String> forwardedTo(Action action) {
        List<String> arns = new ArrayList<>();
        if (action.forwardConfig() != null && !action.forwardConfig().targetGroups().isEmpty()) {
            for (TargetGroupTuple t : action.forwardConfig().targetGroups()) {
                if (t.weight() == null || t.weight() > 0) {
                    arns.add(t.targetGroupArn());
                }
            }
        } else if (action.targetGroupArn() != null) {
            arns.add(action.targetGroupArn());
        }
        return arns;
    }

    @Override
    public void close() {
        for (AutoCloseable closeable : new AutoCloseable[] {autoScaling, elbv2, s3, sandbox}) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    throw new IllegalStateException("could not stop " + closeable, e);
                }
            }
        }
        autoScaling = null;
        elbv2 = null;
        s3 = null;
        sandbox = null;
    }
}
