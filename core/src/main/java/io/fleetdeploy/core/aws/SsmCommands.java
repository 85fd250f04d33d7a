package io.fleetdeploy.core.aws;

import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.fleet.FleetPorts;
import io.fleetdeploy.core.s3.S3Layout;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Runs the instance agent through SSM Run Command ({@code AWS-RunShellScript}):
 * {@code fleet-agent.sh install <version>} with the agent's environment contract (FLEET_BUCKET,
 * FLEET_PREFIX, FLEET_APP, FLEET_GROUP, FLEET_INSTANCE_ID, FLEET_CHANNEL, FLEET_HOME,
 * FLEET_S3_ENDPOINT). The agent script shipped in core is written to the instance first, so every
 * rollout runs the agent of its own fleet-deploy version.
 */
public final class SsmCommands implements FleetPorts.Commands {

    /** SendCommand takes at most 50 instance ids. */
    private static final int MAX_TARGETS = 50;
    private static final String AGENT_RESOURCE = "io/fleetdeploy/agent/fleet-agent.sh";

    /**
     * @param s3Endpoint the S3 endpoint the instances use (sandbox, S3-compatible store); null: the instance's own setting
     * @param agentHome  FLEET_HOME when the instance has none; default /opt/fleet-deploy
     */
    public record AgentSettings(S3Layout layout, String s3Endpoint, String agentHome) {
        public AgentSettings {
            agentHome = agentHome == null || agentHome.isBlank() ? "/opt/fleet-deploy" : agentHome;
        }
    }

    private final SsmClient client;
    private final AgentSettings agent;

    /** Sends and looks, never waits: the operations observe their commands tick by tick. */
    public SsmCommands(SsmClient client, AgentSettings agent) {
        this.client = client;
        this.agent = agent;
    }

    public static SsmCommands of(AwsSettings settings, AgentSettings agent) {
        return new SsmCommands(AwsClients.configure(SsmClient.builder(), settings).build(), agent);
    }

    @Override
    public Map<String, String> sendInstall(String group, List<String> instanceIds, String version, Duration timeout) {
        Names.requireSafe("version", version);
        Names.requireSafe("group", group);
        List<String> commands = commands(group, version);
        long seconds = Math.max(30, timeout.toSeconds());
        Map<String, String> commandIds = new LinkedHashMap<>();
        for (int i = 0; i < instanceIds.size(); i += MAX_TARGETS) {
            List<String> chunk = instanceIds.subList(i, Math.min(instanceIds.size(), i + MAX_TARGETS));
            String commandId = client.sendCommand(b -> b.documentName("AWS-RunShellScript")
                    .instanceIds(chunk)
                    .comment("fleet-deploy install " + version + " on group " + group)
                    .timeoutSeconds((int) Math.min(Integer.MAX_VALUE, seconds))
                    .parameters(Map.of("commands", commands, "executionTimeout", List.of(Long.toString(seconds)))))
                    .command().commandId();
            chunk.forEach(id -> commandIds.put(id, commandId));
        }
        return commandIds;
    }

    /** One ListCommandInvocations (paginated) per distinct command. */
    @Override
    public Map<String, FleetPorts.CommandInvocation> invocations(Map<String, String> commandIdByInstance) {
        Map<String, FleetPorts.CommandInvocation> found = new LinkedHashMap<>();
        for (String commandId : new LinkedHashSet<>(commandIdByInstance.values())) {
            client.listCommandInvocationsPaginator(b -> b.commandId(commandId).details(true)).commandInvocations().forEach(inv -> {
                if (commandId.equals(commandIdByInstance.get(inv.instanceId()))) {
                    found.put(inv.instanceId(), new FleetPorts.CommandInvocation(inv.instanceId(), commandId, inv.statusAsString(),
                            outputOf(inv)));
                }
            });
        }
        return found;
    }

    /** One ListCommandInvocations (paginated) per instance. */
    @Override
    public List<String> commandsStillRunning(List<String> instanceIds) {
        return instanceIds.stream().filter(id -> client.listCommandInvocationsPaginator(b -> b.instanceId(id))
                .commandInvocations().stream().anyMatch(inv -> !new FleetPorts.CommandInvocation(id, inv.commandId(),
                        inv.statusAsString(), null).ended())).toList();
    }

    @Override
    public void cancel(Collection<String> commandIds) {
        new LinkedHashSet<>(commandIds).forEach(id -> client.cancelCommand(b -> b.commandId(id)));
    }

    /** The tail of the first plugin's output (where SSM puts stdout and then stderr), on one line; "" when there is none. */
    private static String outputOf(software.amazon.awssdk.services.ssm.model.CommandInvocation invocation) {
        if (invocation.commandPlugins() == null || invocation.commandPlugins().isEmpty()) {
            return "";
        }
        String output = invocation.commandPlugins().get(0).output();
        if (output == null || output.isBlank()) {
            return "";
        }
        String tail = output.length() > 400 ? output.substring(output.length() - 400) : output;
        return tail.strip().replace('\n', ' ');
    }

    /** The shell lines: the environment contract, the agent script (when core ships it), then the install. */
    List<String> commands(String group, String version) {
        S3Layout layout = agent.layout();
        List<String> lines = new ArrayList<>();
        lines.add("set -e");
        lines.add("export FLEET_BUCKET=" + quote(layout.bucket()));
        lines.add("export FLEET_PREFIX=" + quote(layout.prefix()));
        lines.add("export FLEET_APP=" + quote(layout.app()));
        lines.add("export FLEET_GROUP=" + quote(group));
        lines.add("export FLEET_CHANNEL=\"${FLEET_CHANNEL:-" + group + "}\"");
        lines.add("export FLEET_HOME=\"${FLEET_HOME:-" + agent.agentHome() + "}\"");
        lines.add("export FLEET_INSTANCE_ID=\"${FLEET_INSTANCE_ID:-${AWS_SSM_INSTANCE_ID:-}}\"");
        if (agent.s3Endpoint() != null) {
            lines.add("export FLEET_S3_ENDPOINT=\"${FLEET_S3_ENDPOINT:-" + agent.s3Endpoint().replace("\"", "") + "}\"");
        }
        String script = agentScript();
        if (script != null) {
            lines.add("mkdir -p \"$FLEET_HOME/bin\"");
            // A file of this run's own ($$): a command sent again after a controller restart may run
            // while the first one still does, and must not move the other's half-written copy.
            lines.add("cat > \"$FLEET_HOME/bin/fleet-agent.sh.new.$$\" <<'FLEET_AGENT_EOF'\n" + script
                    + (script.endsWith("\n") ? "" : "\n") + "FLEET_AGENT_EOF");
            lines.add("mv \"$FLEET_HOME/bin/fleet-agent.sh.new.$$\" \"$FLEET_HOME/bin/fleet-agent.sh\"");
        }
        lines.add("sh \"$FLEET_HOME/bin/fleet-agent.sh\" install " + version);
        return lines;
    }

    private static String quote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }

    private static String agentScript() {
        try (InputStream in = SsmCommands.class.getClassLoader().getResourceAsStream(AGENT_RESOURCE)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
