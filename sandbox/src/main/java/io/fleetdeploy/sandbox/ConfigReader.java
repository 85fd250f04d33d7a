package io.fleetdeploy.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetdeploy.sandbox.SandboxConfig.Database;
import io.fleetdeploy.sandbox.SandboxConfig.Faults;
import io.fleetdeploy.sandbox.SandboxConfig.Forward;
import io.fleetdeploy.sandbox.SandboxConfig.Group;
import io.fleetdeploy.sandbox.SandboxConfig.Listener;
import io.fleetdeploy.sandbox.SandboxConfig.LoadBalancer;
import io.fleetdeploy.sandbox.SandboxConfig.Parameter;
import io.fleetdeploy.sandbox.SandboxConfig.TargetGroup;
import io.fleetdeploy.sandbox.SandboxConfig.User;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * Reads a configuration tree, collecting every mistake with its JSON path instead of stopping at
 * the first, and checks the references between its parts (a group's target groups, a listener's).
 */
final class ConfigReader {

    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d");
    private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern TARGET_GROUP_NAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?");
    private static final Pattern DB_IDENTIFIER = Pattern.compile("[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)");
    private static final Pattern DB_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,62}");
    private static final Pattern ACCESS_KEY = Pattern.compile("[A-Z0-9]{16,128}");
    private static final Pattern PARAMETER_NAME = Pattern.compile("/?[A-Za-z0-9_.\\-/]{1,1011}");
    private static final Set<String> HEALTH_CHECK_TYPES = Set.of("EC2", "ELB");
    private static final Set<String> PARAMETER_TYPES = Set.of("String", "StringList", "SecureString");

    private final String source;
    private final List<String> mistakes = new ArrayList<>();
    private final Map<String, Set<String>> known = SandboxConfig.knownFields();

    ConfigReader(String source) {
        this.source = source;
    }

    SandboxConfig read(JsonNode root) {
        unknownFields(root, "", "(top)");
        String region = text(root, "", "region", "us-east-1", REGION, "a region such as us-east-1");
        String account = text(root, "", "accountId", "123456789012", ACCOUNT, "12 digits");
        Duration bootDelay = millis(root, "", "bootDelayMillis", 500, 0, 600_000);
        Optional<Path> agent = optionalText(root, "", "agentScript").map(Path::of);
        agent.filter(p -> !Files.isRegularFile(p))
                .ifPresent(p -> mistake("agentScript", "no file " + p.toAbsolutePath().normalize()));
        String awsCli = text(root, "", "awsCli", "/usr/bin/aws", null, null);
        Optional<Path> workDir = optionalText(root, "", "workDir").map(Path::of);
        String bucket = text(root, "", "bucket", "fleet-releases", Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
                "an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)");
        String prefix = text(root, "", "prefix", "", Pattern.compile("|[A-Za-z0-9][A-Za-z0-9._/-]{0,255}"),
                "empty or a key prefix of letters, digits, '.', '_', '-', '/'");
        if (prefix.endsWith("/")) {
            mistake("prefix", "must not end with '/' (it is joined with '/')");
        }
        List<User> users = list(root, "", "users", true, this::user);
        unique(users.stream().map(User::accessKeyId).toList(), "users", "accessKeyId");
        List<TargetGroup> targetGroups = list(root, "", "targetGroups", false, this::targetGroup);
        Set<String> targetGroupNames = new HashSet<>(targetGroups.stream().map(TargetGroup::name).toList());
        unique(targetGroups.stream().map(TargetGroup::name).toList(), "targetGroups", "name");
        List<Group> groups = list(root, "", "groups", false, (node, place) -> group(node, place, targetGroupNames));
        unique(groups.stream().map(Group::name).toList(), "groups", "name");
        List<LoadBalancer> loadBalancers = list(root, "", "loadBalancers", false,
                (node, place) -> loadBalancer(node, place, targetGroupNames));
        unique(loadBalancers.stream().map(LoadBalancer::name).toList(), "loadBalancers", "name");
        List<Database> databases = list(root, "", "databases", false, this::database);
        unique(databases.stream().map(Database::identifier).toList(), "databases", "identifier");
        List<Parameter> parameters = list(root, "", "parameters", false, this::parameter);
        unique(parameters.stream().map(Parameter::name).toList(), "parameters", "name");
        Faults faults = root.has("faults") ? faults(root.get("faults"), "faults") : Faults.NONE;
        if (!mistakes.isEmpty()) {
            throw new SandboxConfigException(source, mistakes);
        }
        return new SandboxConfig(region, account, bootDelay, agent, awsCli, workDir, bucket, prefix, users, groups,
                targetGroups, loadBalancers, databases, parameters, faults);
    }

    private User user(JsonNode node, String place) {
        unknownFields(node, place, "users");
        return new User(
                text(node, place, "name", null, SAFE_NAME, "letters, digits, '.', '_', '-'"),
                text(node, place, "accessKeyId", null, ACCESS_KEY, "16-128 upper-case letters and digits"),
                text(node, place, "secretAccessKey", null, Pattern.compile("[A-Za-z0-9/+=]{16,128}"),
                        "16-128 characters of A-Z a-z 0-9 / + ="));
    }

    private Group group(JsonNode node, String place, Set<String> targetGroupNames) {
        unknownFields(node, place, "groups");
        // Stricter than AWS: the agent takes the group name as FLEET_GROUP, a safe name.
        String name = text(node, place, "name", null, SAFE_NAME, "letters, digits, '.', '_', '-' (the agent's rule for FLEET_GROUP)");
        String app = text(node, place, "app", null, SAFE_NAME, "letters, digits, '.', '_', '-'");
        String channel = text(node, place, "channel", "production", SAFE_NAME, "letters, digits, '.', '_', '-'");
        int min = integer(node, place, "minSize", null, 0, 1000);
        int max = integer(node, place, "maxSize", null, 0, 1000);
        int desired = integer(node, place, "desiredCapacity", min, 0, 1000);
        if (max < min) {
            mistake(join(place, "maxSize"), max + " is below minSize " + min);
        } else if (desired < min || desired > max) {
            mistake(join(place, "desiredCapacity"), desired + " is outside minSize..maxSize (" + min + ".." + max + ")");
        }
        String healthCheckType = text(node, place, "healthCheckType", "EC2", null, null);
        if (!HEALTH_CHECK_TYPES.contains(healthCheckType)) {
            mistake(join(place, "healthCheckType"), "'" + healthCheckType + "' is not EC2 or ELB");
        }
        Duration grace = Duration.ofSeconds(integer(node, place, "healthCheckGracePeriodSeconds", 0, 0, 7200));
        List<String> targetGroups = stringList(node, place, "targetGroups");
        for (int i = 0; i < targetGroups.size(); i++) {
            if (!targetGroupNames.contains(targetGroups.get(i))) {
                mistake(join(place, "targetGroups") + "[" + i + "]", "no target group named '" + targetGroups.get(i)
                        + "' in targetGroups");
            }
        }
        if ("ELB".equals(healthCheckType) && targetGroups.isEmpty()) {
            mistake(join(place, "healthCheckType"), "ELB needs at least one entry in targetGroups");
        }
        List<String> zones = stringList(node, place, "availabilityZones");
        if (zones.isEmpty()) {
            zones = List.of("a", "b");
        }
        String instanceType = text(node, place, "instanceType", "t3.micro", null, null);
        Map<String, String> tags = new LinkedHashMap<>();
        JsonNode tagNode = node.get("tags");
        if (tagNode != null && !tagNode.isObject()) {
            mistake(join(place, "tags"), "must be an object of key: value");
        } else if (tagNode != null) {
            tagNode.fields().forEachRemaining(e -> {
                if (!e.getValue().isTextual()) {
                    mistake(join(place, "tags") + "." + e.getKey(), "must be a string");
                } else if (e.getKey().startsWith("aws:")) {
                    mistake(join(place, "tags") + "." + e.getKey(), "keys starting with 'aws:' are reserved");
                } else {
                    tags.put(e.getKey(), e.getValue().asText());
                }
            });
        }
        Duration agentPoll = millis(node, place, "agentPollIntervalMillis", 0, 0, 3_600_000);
        return new Group(name, app, channel, min, max, desired, healthCheckType, grace, targetGroups, zones,
                instanceType, tags, agentPoll);
    }

    private TargetGroup targetGroup(JsonNode node, String place) {
        unknownFields(node, place, "targetGroups");
        String name = text(node, place, "name", null, TARGET_GROUP_NAME,
                "1-32 letters, digits and hyphens, not starting or ending with a hyphen");
        int port = integer(node, place, "port", 80, 1, 65535);
        JsonNode health = node.get("healthCheck");
        String healthPlace = join(place, "healthCheck");
        if (health == null) {
            health = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        } else if (!health.isObject()) {
            mistake(healthPlace, "must be an object");
            health = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }
        unknownFields(health, healthPlace, "healthCheck");
        String path = text(health, healthPlace, "path", "/health", Pattern.compile("/[\\x21-\\x7e]{0,1023}"),
                "a path starting with '/'");
        Duration interval = millis(health, healthPlace, "intervalMillis", 1000, 50, 300_000);
        Duration timeout = millis(health, healthPlace, "timeoutMillis", 500, 10, 120_000);
        if (timeout.compareTo(interval) >= 0) {
            mistake(join(healthPlace, "timeoutMillis"), timeout.toMillis() + " must be less than intervalMillis "
                    + interval.toMillis());
        }
        int healthy = integer(health, healthPlace, "healthyThreshold", 2, 2, 10);
        int unhealthy = integer(health, healthPlace, "unhealthyThreshold", 2, 2, 10);
        Duration delay = millis(node, place, "deregistrationDelayMillis", 5000, 0, 3_600_000);
        return new TargetGroup(name, port, path, interval, timeout, healthy, unhealthy, delay);
    }

    private LoadBalancer loadBalancer(JsonNode node, String place, Set<String> targetGroupNames) {
        unknownFields(node, place, "loadBalancers");
        String name = text(node, place, "name", null, TARGET_GROUP_NAME,
                "1-32 letters, digits and hyphens, not starting or ending with a hyphen");
        List<Listener> listeners = list(node, place, "listeners", true, (listener, listenerPlace) -> {
            unknownFields(listener, listenerPlace, "listeners");
            int port = integer(listener, listenerPlace, "port", 80, 1, 65535);
            List<Forward> forwards = list(listener, listenerPlace, "forward", true, (forward, forwardPlace) -> {
                unknownFields(forward, forwardPlace, "forward");
                String targetGroup = text(forward, forwardPlace, "targetGroup", null, null, null);
                if (targetGroup != null && !targetGroupNames.contains(targetGroup)) {
                    mistake(join(forwardPlace, "targetGroup"), "no target group named '" + targetGroup + "' in targetGroups");
                }
                return new Forward(targetGroup, integer(forward, forwardPlace, "weight", 1, 0, 999));
            });
            if (!forwards.isEmpty() && forwards.stream().allMatch(f -> f.weight() == 0)) {
                mistake(join(listenerPlace, "forward"), "at least one weight must be above 0");
            }
            unique(forwards.stream().map(Forward::targetGroup).toList(), join(listenerPlace, "forward"), "targetGroup");
            return new Listener(port, forwards);
        });
        unique(listeners.stream().map(l -> String.valueOf(l.port())).toList(), join(place, "listeners"), "port");
        return new LoadBalancer(name, listeners);
    }

    private Database database(JsonNode node, String place) {
        unknownFields(node, place, "databases");
        return new Database(
                text(node, place, "identifier", null, DB_IDENTIFIER,
                        "1-63 letters, digits and hyphens, starting with a letter, no '--', not ending with '-'"),
                text(node, place, "dbName", null, DB_NAME, "a letter then up to 62 letters, digits, '_'"),
                text(node, place, "masterUsername", "fleet", DB_NAME, "a letter then up to 62 letters, digits, '_'"),
                text(node, place, "masterPassword", null, Pattern.compile("[\\x21-\\x7e&&[^/@\"]]{8,128}"),
                        "8-128 printable characters except / @ \""),
                text(node, place, "instanceClass", "db.t3.micro", null, null),
                bool(node, place, "iamAuthentication", false));
    }

    private Parameter parameter(JsonNode node, String place) {
        unknownFields(node, place, "parameters");
        String name = text(node, place, "name", null, PARAMETER_NAME, "letters, digits, '_', '.', '-', '/'");
        String type = text(node, place, "type", "String", null, null);
        if (!PARAMETER_TYPES.contains(type)) {
            mistake(join(place, "type"), "'" + type + "' is not String, StringList or SecureString");
        }
        return new Parameter(name, type, text(node, place, "value", null, null, null));
    }

    private Faults faults(JsonNode node, String place) {
        if (!node.isObject()) {
            mistake(place, "must be an object");
            return Faults.NONE;
        }
        unknownFields(node, place, "faults");
        return new Faults(rate(node, place, "throttleRate"), rate(node, place, "serverErrorRate"),
                millis(node, place, "latencyMillis", 0, 0, 60_000));
    }

    private double rate(JsonNode node, String place, String field) {
        JsonNode value = node.get(field);
        if (value == null) {
            return 0;
        }
        if (!value.isNumber() || value.asDouble() < 0 || value.asDouble() > 1) {
            mistake(join(place, field), "must be a number from 0 to 1");
            return 0;
        }
        return value.asDouble();
    }

    private <T> List<T> list(JsonNode node, String place, String field, boolean required,
            BiFunction<JsonNode, String, T> element) {
        JsonNode array = node.get(field);
        String listPlace = join(place, field);
        if (array == null) {
            if (required) {
                mistake(listPlace, "required: a list with at least one entry");
            }
            return List.of();
        }
        if (!array.isArray()) {
            mistake(listPlace, "must be a list");
            return List.of();
        }
        if (required && array.isEmpty()) {
            mistake(listPlace, "needs at least one entry");
        }
        List<T> result = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            String elementPlace = listPlace + "[" + i + "]";
            if (!array.get(i).isObject()) {
                mistake(elementPlace, "must be an object");
                continue;
            }
            result.add(element.apply(array.get(i), elementPlace));
        }
        return result;
    }

    private List<String> stringList(JsonNode node, String place, String field) {
        JsonNode array = node.get(field);
        if (array == null) {
            return List.of();
        }
        if (!array.isArray()) {
            mistake(join(place, field), "must be a list of strings");
            return List.of();
        }
        List<String> result = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (array.get(i).isTextual()) {
                result.add(array.get(i).asText());
            } else {
                mistake(join(place, field) + "[" + i + "]", "must be a string");
            }
        }
        return result;
    }

    private String text(JsonNode node, String place, String field, String fallback, Pattern pattern, String expected) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (fallback == null) {
                mistake(join(place, field), "required");
            }
            return fallback;
        }
        if (!value.isTextual()) {
            mistake(join(place, field), "must be a string");
            return fallback;
        }
        String text = value.asText();
        if (pattern != null && !pattern.matcher(text).matches()) {
            // A secret's value never goes into a message.
            String shown = field.toLowerCase().contains("secret") || field.toLowerCase().contains("password")
                    ? "the value" : "'" + text + "'";
            mistake(join(place, field), shown + " is not " + expected);
        }
        return text;
    }

    private Optional<String> optionalText(JsonNode node, String place, String field) {
        return node.has(field) ? Optional.ofNullable(text(node, place, field, "", null, null)) : Optional.empty();
    }

    private int integer(JsonNode node, String place, String field, Integer fallback, int min, int max) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (fallback == null) {
                mistake(join(place, field), "required");
                return min;
            }
            return fallback;
        }
        if (!value.isIntegralNumber()) {
            mistake(join(place, field), "must be a whole number");
            return fallback == null ? min : fallback;
        }
        long number = value.asLong();
        if (number < min || number > max) {
            mistake(join(place, field), number + " is outside " + min + ".." + max);
            return (int) Math.max(min, Math.min(max, number));
        }
        return (int) number;
    }

    private Duration millis(JsonNode node, String place, String field, int fallback, int min, int max) {
        return Duration.ofMillis(integer(node, place, field, fallback, min, max));
    }

    private boolean bool(JsonNode node, String place, String field, boolean fallback) {
        JsonNode value = node.get(field);
        if (value == null) {
            return fallback;
        }
        if (!value.isBoolean()) {
            mistake(join(place, field), "must be true or false");
            return fallback;
        }
        return value.asBoolean();
    }

    private void unknownFields(JsonNode node, String place, String kind) {
        Set<String> allowed = known.get(kind);
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                mistake(join(place, name), "unknown field (known: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
    }

    private void unique(List<String> values, String place, String field) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) != null && !seen.add(values.get(i))) {
                mistake(place + "[" + i + "]." + field, "'" + values.get(i) + "' is used twice");
            }
        }
    }

    private void mistake(String place, String what) {
        mistakes.add(place + ": " + what);
    }

    private static String join(String place, String field) {
        return place.isEmpty() ? field : place + "." + field;
    }
}
