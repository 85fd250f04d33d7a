package io.fleetdeploy.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a sandbox contains: users, Auto Scaling groups, target groups, load balancers with their
 * listeners, RDS instances, SSM parameters and the faults it starts with. Read from JSON
 * ({@link #load(Path)}, {@link #parse(String, String)}); every mistake of a file is reported at
 * once, with its place, before anything starts.
 *
 * @param region        the region every service answers for
 * @param accountId     the 12-digit account in ARNs
 * @param bootDelay     how long a launched instance takes before it runs its user data (the agent)
 * @param agentScript   the instance agent ({@code fleet-agent.sh}) that user data and SSM run
 * @param awsCli        the AWS CLI the agent falls back to on instances when curl cannot sign (FLEET_AWS)
 * @param workDir       where instances' disks go; empty: a fresh temporary directory
 * @param bucket        the S3 bucket the sandbox creates; releases and channel pointers live there
 * @param prefix        the key prefix under the bucket ("" for none)
 */
public record SandboxConfig(
        String region,
        String accountId,
        Duration bootDelay,
        Optional<Path> agentScript,
        String awsCli,
        Optional<Path> workDir,
        String bucket,
        String prefix,
        List<User> users,
        List<Group> groups,
        List<TargetGroup> targetGroups,
        List<LoadBalancer> loadBalancers,
        List<Database> databases,
        List<Parameter> parameters,
        Faults faults) {

    public SandboxConfig {
        Objects.requireNonNull(region, "region");
        users = List.copyOf(users);
        groups = List.copyOf(groups);
        targetGroups = List.copyOf(targetGroups);
        loadBalancers = List.copyOf(loadBalancers);
        databases = List.copyOf(databases);
        parameters = List.copyOf(parameters);
    }

    /** An API user: SigV4 requests signed with this key pair are accepted. */
    public record User(String name, String accessKeyId, String secretAccessKey) {
        @Override
        public String toString() {
            return "User[name=" + name + ", accessKeyId=" + accessKeyId + "]";
        }
    }

    /**
     * An Auto Scaling group whose instances run {@code app}; a new instance installs the version
     * that {@code <prefix>/<app>/channels/<channel>.json} names.
     *
     * @param agentPollInterval how often each instance runs {@code fleet-agent.sh poll} once its user data
     *                          ran, as the systemd timer of a pull fleet does ({@code agentPollIntervalMillis});
     *                          zero: no timer (push fleets, where SSM runs the agent)
     */
    public record Group(String name, String app, String channel, int minSize, int maxSize, int desiredCapacity,
            String healthCheckType, Duration healthCheckGracePeriod, List<String> targetGroups,
            List<String> availabilityZones, String instanceType, Map<String, String> tags, Duration agentPollInterval) {
        public Group {
            targetGroups = List.copyOf(targetGroups);
            availabilityZones = List.copyOf(availabilityZones);
            tags = Map.copyOf(tags);
        }
    }

    /** An HTTP target group of instances and how the load balancer health-checks them. */
    public record TargetGroup(String name, int port, String healthCheckPath, Duration healthCheckInterval,
            Duration healthCheckTimeout, int healthyThreshold, int unhealthyThreshold, Duration deregistrationDelay) {
    }

    /** An application load balancer. */
    public record LoadBalancer(String name, List<Listener> listeners) {
        public LoadBalancer {
            listeners = List.copyOf(listeners);
        }
    }

    /** A listener: its default action forwards to these target groups by weight. */
    public record Listener(int port, List<Forward> forwards) {
        public Listener {
            forwards = List.copyOf(forwards);
        }
    }

    public record Forward(String targetGroup, int weight) {
    }

    /** An RDS instance: a real PostgreSQL. */
    public record Database(String identifier, String dbName, String masterUsername, String masterPassword,
            String instanceClass, boolean iamAuthentication) {
        @Override
        public String toString() {
            return "Database[identifier=" + identifier + ", dbName=" + dbName + ", masterUsername=" + masterUsername + "]";
        }
    }

    /** An SSM parameter present at start. */
    public record Parameter(String name, String type, String value) {
        @Override
        public String toString() {
            return "Parameter[name=" + name + ", type=" + type + "]";
        }
    }

    /** Faults of the API endpoint at start; all switchable at run time through the admin API. */
    public record Faults(double throttleRate, double serverErrorRate, Duration latency) {
        public static final Faults NONE = new Faults(0, 0, Duration.ZERO);
    }

    /** Reads and validates a configuration file. */
    public static SandboxConfig load(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SandboxConfigException(file.toString(), List.of("the file cannot be read: " + e.getMessage()));
        }
        return parse(json, file.toString());
    }

    /** Validates a configuration given as JSON text; {@code source} names it in the error message. */
    public static SandboxConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new SandboxConfigException(source, List.of("line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": not valid JSON: " + e.getOriginalMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new SandboxConfigException(source, List.of("(top): must be a JSON object"));
        }
        return new ConfigReader(source).read(root);
    }

    /**
     * The configuration {@code fleet-deploy sandbox up} starts without a file: one app, one group
     * of three instances behind a target group and an ALB listener, and one PostgreSQL.
     */
    public static SandboxConfig defaults() {
        try (InputStream in = SandboxConfig.class.getResourceAsStream("default-sandbox.json")) {
            return parse(new String(Objects.requireNonNull(in, "default-sandbox.json").readAllBytes(),
                    StandardCharsets.UTF_8), "(built-in default)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The same configuration with another agent script (tests and the CLI place it). */
    public SandboxConfig withAgentScript(Path script) {
        return new SandboxConfig(region, accountId, bootDelay, Optional.of(script), awsCli, workDir, bucket, prefix,
                users, groups, targetGroups, loadBalancers, databases, parameters, faults);
    }

    /** The same configuration with instances' disks under {@code dir}. */
    public SandboxConfig withWorkDir(Path dir) {
        return new SandboxConfig(region, accountId, bootDelay, agentScript, awsCli, Optional.of(dir), bucket, prefix,
                users, groups, targetGroups, loadBalancers, databases, parameters, faults);
    }

    public Optional<Group> group(String name) {
        return groups.stream().filter(g -> g.name().equals(name)).findFirst();
    }

    public Optional<TargetGroup> targetGroup(String name) {
        return targetGroups.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** Field names a reader accepts in each object, so a misspelt key is a mistake, not silently ignored. */
    static Map<String, Set<String>> knownFields() {
        Map<String, Set<String>> known = new LinkedHashMap<>();
        known.put("(top)", Set.of("region", "accountId", "bootDelayMillis", "agentScript", "awsCli", "workDir",
                "bucket", "prefix", "users", "groups", "targetGroups", "loadBalancers", "databases", "parameters", "faults"));
        known.put("users", Set.of("name", "accessKeyId", "secretAccessKey"));
        known.put("groups", Set.of("name", "app", "channel", "minSize", "maxSize", "desiredCapacity",
                "healthCheckType", "healthCheckGracePeriodSeconds", "targetGroups", "availabilityZones", "instanceType", "tags",
                "agentPollIntervalMillis"));
        known.put("targetGroups", Set.of("name", "port", "healthCheck", "deregistrationDelayMillis"));
        known.put("healthCheck", Set.of("path", "intervalMillis", "timeoutMillis", "healthyThreshold", "unhealthyThreshold"));
        known.put("loadBalancers", Set.of("name", "listeners"));
        known.put("listeners", Set.of("port", "forward"));
        known.put("forward", Set.of("targetGroup", "weight"));
        known.put("databases", Set.of("identifier", "dbName", "masterUsername", "masterPassword", "instanceClass", "iamAuthentication"));
        known.put("parameters", Set.of("name", "type", "value"));
        known.put("faults", Set.of("throttleRate", "serverErrorRate", "latencyMillis"));
        return known;
    }
}
