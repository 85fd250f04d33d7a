package io.fleetdeploy.sandbox.services;

import io.fleetdeploy.sandbox.SandboxConfig;
import io.fleetdeploy.sandbox.aws.AwsApi;
import io.fleetdeploy.sandbox.aws.AwsServiceError;
import io.fleetdeploy.sandbox.aws.CallContext;
import io.fleetdeploy.sandbox.runtime.CommandExecution;
import io.fleetdeploy.sandbox.runtime.ShellRunner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.services.ssm.model.CancelCommandRequest;
import software.amazon.awssdk.services.ssm.model.CancelCommandResponse;
import software.amazon.awssdk.services.ssm.model.Command;
import software.amazon.awssdk.services.ssm.model.CommandInvocation;
import software.amazon.awssdk.services.ssm.model.CommandInvocationStatus;
import software.amazon.awssdk.services.ssm.model.CommandPlugin;
import software.amazon.awssdk.services.ssm.model.CommandPluginStatus;
import software.amazon.awssdk.services.ssm.model.CommandStatus;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationRequest;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationResponse;
import software.amazon.awssdk.services.ssm.model.GetParameterRequest;
import software.amazon.awssdk.services.ssm.model.GetParameterResponse;
import software.amazon.awssdk.services.ssm.model.ListCommandInvocationsRequest;
import software.amazon.awssdk.services.ssm.model.ListCommandInvocationsResponse;
import software.amazon.awssdk.services.ssm.model.ListCommandsRequest;
import software.amazon.awssdk.services.ssm.model.ListCommandsResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.PutParameterRequest;
import software.amazon.awssdk.services.ssm.model.PutParameterResponse;
import software.amazon.awssdk.services.ssm.model.SendCommandRequest;
import software.amazon.awssdk.services.ssm.model.SendCommandResponse;
import software.amazon.awssdk.services.ssm.model.Target;

/**
 * Systems Manager: Run Command with {@code AWS-RunShellScript}, executed for real by {@code sh} in
 * the instance's directory with the instance's environment, and Parameter Store.
 */
public final class SsmService implements AwsApi.Handler {

    public static final String RUN_SHELL_SCRIPT = "AWS-RunShellScript";
    private static final String PLUGIN = "aws:runShellScript";
    private static final Set<String> DOCUMENT_PARAMETERS = Set.of("commands", "executionTimeout", "workingDirectory");
    private static final int MAX_PARAMETER_VALUE = 4096;

    private final Machines machines;
    private final ShellRunner shell;
    private final Clock clock;
    private final String region;
    private final String accountId;
    private final Ids ids = new Ids();
    private final Map<String, SentCommand> commands = new LinkedHashMap<>();
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    /** A command as sent, and its execution per instance. */
    private record SentCommand(Command model, Map<String, CommandExecution> executions) {
    }

    public SsmService(SandboxConfig config, Machines machines, ShellRunner shell, Clock clock) {
        this.machines = machines;
        this.shell = shell;
        this.clock = clock;
        this.region = config.region();
        this.accountId = config.accountId();
        for (SandboxConfig.Parameter parameter : config.parameters()) {
            parameters.put(parameter.name(), parameter(parameter.name(), ParameterType.fromValue(parameter.type()),
                    parameter.value(), 1L));
        }
    }

    @Override
    public synchronized AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
        return switch (action) {
            case "SendCommand" -> sendCommand((SendCommandRequest) request);
            case "GetCommandInvocation" -> getCommandInvocation((GetCommandInvocationRequest) request);
            case "ListCommandInvocations" -> listCommandInvocations((ListCommandInvocationsRequest) request);
            case "ListCommands" -> listCommands((ListCommandsRequest) request);
            case "CancelCommand" -> cancelCommand((CancelCommandRequest) request);
            case "GetParameter" -> getParameter((GetParameterRequest) request);
            case "PutParameter" -> putParameter((PutParameterRequest) request);
            default -> throw new AwsServiceError(400, "InvalidAction",
                    "The action " + action + " is not valid for this web service (the sandbox does not answer it).");
        };
    }

    // ---- Run Command ----

    private SendCommandResponse sendCommand(SendCommandRequest request) throws AwsServiceError {
        if (!RUN_SHELL_SCRIPT.equals(request.documentName())) {
            throw new AwsServiceError(400, "InvalidDocument", "Document with name " + request.documentName()
                    + " does not exist (the sandbox runs " + RUN_SHELL_SCRIPT + " only).");
        }
        if (request.comment() != null && request.comment().length() > 100) {
            throw new AwsServiceError(400, "ValidationException", "1 validation error detected: Value at 'comment'"
                    + " failed to satisfy constraint: Member must have length less than or equal to 100");
        }
        Map<String, List<String>> params = request.hasParameters() ? request.parameters() : Map.of();
        for (String name : params.keySet()) {
            if (!DOCUMENT_PARAMETERS.contains(name)) {
                throw new AwsServiceError(400, "InvalidParameters", "Parameter \"" + name + "\" is not defined in the"
                        + " document " + RUN_SHELL_SCRIPT + " (it takes commands, executionTimeout, workingDirectory).");
            }
        }
        List<String> script = params.getOrDefault("commands", List.of());
        if (script.isEmpty() || script.stream().allMatch(String::isBlank)) {
            throw new AwsServiceError(400, "InvalidParameters", "Parameters required by the document are missing:"
                    + " commands.");
        }
        Duration timeout = executionTimeout(params.get("executionTimeout"));
        List<Machine> targets = targets(request);
        String commandId = ids.uuid();
        Instant now = clock.instant();
        Map<String, CommandExecution> executions = new LinkedHashMap<>();
        for (Machine machine : targets) {
            executions.put(machine.id(), start(machine, script, params.get("workingDirectory"), timeout));
        }
        Command model = Command.builder().commandId(commandId).documentName(RUN_SHELL_SCRIPT).documentVersion("$DEFAULT")
                .comment(request.comment() == null ? "" : request.comment())
                .expiresAfter(now.plus(timeout).plusSeconds(request.timeoutSeconds() == null ? 3600 : request.timeoutSeconds()))
                .parameters(params).instanceIds(targets.stream().map(Machine::id).toList())
                .targets(request.hasTargets() ? request.targets() : List.of())
                .requestedDateTime(now).status(CommandStatus.PENDING).statusDetails("Pending")
                .maxConcurrency(request.maxConcurrency() == null ? "50" : request.maxConcurrency())
                .maxErrors(request.maxErrors() == null ? "0" : request.maxErrors())
                .targetCount(targets.size()).completedCount(0).errorCount(0).deliveryTimedOutCount(0)
                .timeoutSeconds(request.timeoutSeconds() == null ? 3600 : request.timeoutSeconds())
                .build();
        commands.put(commandId, new SentCommand(model, executions));
        return SendCommandResponse.builder().command(model).build();
    }

    private CommandExecution start(Machine machine, List<String> script, List<String> workingDirectory, Duration timeout) {
        Path home = machine.host().home();
        Path dir = home;
        List<String> run = script;
        if (workingDirectory != null && !workingDirectory.isEmpty() && !workingDirectory.get(0).isBlank()) {
            // The instance's disk is its home directory: /opt/app on the instance is home/opt/app here.
            dir = home.resolve(workingDirectory.get(0).replaceFirst("^/+", "")).normalize();
            if (!dir.startsWith(home) || !Files.isDirectory(dir)) {
                run = List.of("echo 'failed to run commands: working directory " + workingDirectory.get(0).replace("'", "")
                        + " does not exist' >&2", "exit 1");
                dir = home;
            }
        }
        if (machine.commandFault()) {
            run = List.of("echo 'sandbox fault: commands on " + machine.id() + " are set to fail' >&2", "exit 1");
        }
        return shell.run(machine.id(), dir, machine.commandEnvironment(), run, timeout);
    }

    private static Duration executionTimeout(List<String> value) throws AwsServiceError {
        if (value == null || value.isEmpty()) {
            return Duration.ofHours(1);
        }
        try {
            long seconds = Long.parseLong(value.get(0).trim());
            if (seconds >= 1 && seconds <= 172_800) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // answered below, as SSM answers any value outside its pattern
        }
        throw new AwsServiceError(400, "InvalidParameters", "Parameter \"executionTimeout\" \"" + value.get(0)
                + "\" is not valid: it must be a whole number of seconds from 1 to 172800.");
    }

    private List<Machine> targets(SendCommandRequest request) throws AwsServiceError {
        Set<String> ids = new LinkedHashSet<>();
        if (request.hasInstanceIds()) {
            ids.addAll(request.instanceIds());
        }
        if (request.hasTargets()) {
            for (Target target : request.targets()) {
                if ("InstanceIds".equals(target.key())) {
                    ids.addAll(target.values());
                } else if (target.key() != null && target.key().startsWith("tag:")) {
                    String key = target.key().substring(4);
                    machines.all().stream().filter(Machine::running)
                            .filter(m -> m.tag(key).filter(target.values()::contains).isPresent())
                            .forEach(m -> ids.add(m.id()));
                } else {
                    throw new AwsServiceError(400, "InvalidTarget", "Target key " + target.key()
                            + " is not supported by the sandbox (use InstanceIds or tag:<key>).");
                }
            }
        }
        if (ids.isEmpty()) {
            throw new AwsServiceError(400, "InvalidInstanceId", "No instance matches the InstanceIds or Targets given.");
        }
        List<Machine> found = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (String id : ids) {
            Optional<Machine> machine = machines.find(id);
            if (machine.isPresent() && machine.get().running()) {
                found.add(machine.get());
            } else {
                invalid.add(id);
            }
        }
        if (!invalid.isEmpty()) {
            throw new AwsServiceError(400, "InvalidInstanceId", "Instances [[" + String.join(", ", invalid)
                    + "]] not in a valid state for account " + accountId);
        }
        return found;
    }

    private GetCommandInvocationResponse getCommandInvocation(GetCommandInvocationRequest request) throws AwsServiceError {
        SentCommand command = commands.get(request.commandId());
        CommandExecution execution = command == null ? null : command.executions().get(request.instanceId());
        if (execution == null) {
            throw new AwsServiceError(400, "InvocationDoesNotExist", "An invocation of command " + request.commandId()
                    + " on instance " + request.instanceId() + " does not exist.");
        }
        if (request.pluginName() != null && !PLUGIN.equals(request.pluginName())) {
            throw new AwsServiceError(400, "InvalidPluginName", "The plugin name " + request.pluginName() + " is not valid.");
        }
        // Status first: an execution records its exit code and output before it reports itself done.
        CommandExecution.Status status = execution.status();
        Instant started = execution.started();
        Optional<Instant> ended = execution.ended();
        return GetCommandInvocationResponse.builder()
                .commandId(request.commandId()).instanceId(request.instanceId())
                .comment(command.model().comment()).documentName(RUN_SHELL_SCRIPT).documentVersion("$DEFAULT")
                .pluginName(PLUGIN).responseCode(responseCode(execution))
                .executionStartDateTime(started.toString())
                .executionElapsedTime(Duration.between(started, ended.orElse(clock.instant())).toString())
                .executionEndDateTime(ended.map(Instant::toString).orElse(""))
                .status(invocationStatus(status)).statusDetails(statusDetails(status))
                .standardOutputContent(execution.stdout()).standardErrorContent(execution.stderr())
                .standardOutputUrl("").standardErrorUrl("")
                .build();
    }

    private ListCommandInvocationsResponse listCommandInvocations(ListCommandInvocationsRequest request)
            throws AwsServiceError {
        if (request.commandId() != null && !commands.containsKey(request.commandId())) {
            throw new AwsServiceError(400, "InvalidCommandId", "Command " + request.commandId() + " does not exist.");
        }
        boolean details = Boolean.TRUE.equals(request.details());
        List<CommandInvocation> invocations = new ArrayList<>();
        List<SentCommand> newestFirst = new ArrayList<>(commands.values());
        java.util.Collections.reverse(newestFirst);
        for (SentCommand command : newestFirst) {
            if (request.commandId() != null && !command.model().commandId().equals(request.commandId())) {
                continue;
            }
            command.executions().forEach((instanceId, execution) -> {
                if (request.instanceId() == null || request.instanceId().equals(instanceId)) {
                    invocations.add(invocation(command.model(), instanceId, execution, details));
                }
            });
        }
        Page<CommandInvocation> page = Page.of(invocations, request.nextToken(), request.maxResults(), 50, 1, 50,
                "InvalidNextToken");
        return ListCommandInvocationsResponse.builder().commandInvocations(page.items()).nextToken(page.nextToken()).build();
    }

    private ListCommandsResponse listCommands(ListCommandsRequest request) throws AwsServiceError {
        if (request.commandId() != null && !commands.containsKey(request.commandId())) {
            throw new AwsServiceError(400, "InvalidCommandId", "Command " + request.commandId() + " does not exist.");
        }
        List<Command> list = new ArrayList<>();
        List<SentCommand> newestFirst = new ArrayList<>(commands.values());
        java.util.Collections.reverse(newestFirst);
        for (SentCommand command : newestFirst) {
            if ((request.commandId() == null || command.model().commandId().equals(request.commandId()))
                    && (request.instanceId() == null || command.executions().containsKey(request.instanceId()))) {
                list.add(current(command));
            }
        }
        Page<Command> page = Page.of(list, request.nextToken(), request.maxResults(), 50, 1, 50, "InvalidNextToken");
        return ListCommandsResponse.builder().commands(page.items()).nextToken(page.nextToken()).build();
    }

    private CancelCommandResponse cancelCommand(CancelCommandRequest request) throws AwsServiceError {
        SentCommand command = commands.get(request.commandId());
        if (command == null) {
            throw new AwsServiceError(400, "InvalidCommandId", "Command " + request.commandId() + " does not exist.");
        }
        Set<String> only = request.hasInstanceIds() && !request.instanceIds().isEmpty()
                ? new LinkedHashSet<>(request.instanceIds()) : command.executions().keySet();
        for (String instanceId : only) {
            CommandExecution execution = command.executions().get(instanceId);
            if (execution == null) {
                throw new AwsServiceError(400, "InvalidInstanceId", "Instance " + instanceId
                        + " is not a target of command " + request.commandId() + ".");
            }
        }
        only.forEach(id -> command.executions().get(id).cancel());
        return CancelCommandResponse.builder().build();
    }

    private Command current(SentCommand command) {
        List<CommandExecution> all = new ArrayList<>(command.executions().values());
        long done = all.stream().filter(e -> e.status().done()).count();
        long errors = all.stream().filter(e -> e.status() == CommandExecution.Status.FAILED
                || e.status() == CommandExecution.Status.TIMED_OUT).count();
        CommandStatus status;
        if (all.stream().allMatch(e -> e.status() == CommandExecution.Status.PENDING)) {
            status = CommandStatus.PENDING;
        } else if (done < all.size()) {
            status = CommandStatus.IN_PROGRESS;
        } else if (all.stream().anyMatch(e -> e.status() == CommandExecution.Status.FAILED)) {
            status = CommandStatus.FAILED;
        } else if (all.stream().anyMatch(e -> e.status() == CommandExecution.Status.TIMED_OUT)) {
            status = CommandStatus.TIMED_OUT;
        } else if (all.stream().anyMatch(e -> e.status() == CommandExecution.Status.CANCELLED)) {
            status = CommandStatus.CANCELLED;
        } else {
            status = CommandStatus.SUCCESS;
        }
        return command.model().toBuilder().status(status).statusDetails(status.toString())
                .completedCount((int) done).errorCount((int) errors).build();
    }

    private CommandInvocation invocation(Command command, String instanceId, CommandExecution execution, boolean details) {
        CommandExecution.Status status = execution.status();
        CommandInvocation.Builder invocation = CommandInvocation.builder()
                .commandId(command.commandId()).instanceId(instanceId).instanceName("")
                .comment(command.comment()).documentName(RUN_SHELL_SCRIPT).documentVersion("$DEFAULT")
                .requestedDateTime(command.requestedDateTime())
                .status(invocationStatus(status)).statusDetails(statusDetails(status))
                .standardOutputUrl("").standardErrorUrl("");
        if (details) {
            invocation.commandPlugins(CommandPlugin.builder().name(PLUGIN)
                    .status(CommandPluginStatus.fromValue(invocationStatus(status).toString()))
                    .statusDetails(statusDetails(status)).responseCode(responseCode(execution))
                    .responseStartDateTime(execution.started()).responseFinishDateTime(execution.ended().orElse(null))
                    .output(truncate(execution.stdout() + execution.stderr())).standardOutputUrl("").standardErrorUrl("")
                    .build());
        }
        return invocation.build();
    }

    /** ListCommandInvocations' plugin output is the first 2500 characters, as SSM gives it. */
    private static String truncate(String output) {
        return output.length() <= 2500 ? output : output.substring(0, 2500);
    }

    private static int responseCode(CommandExecution execution) {
        return execution.exitCode().orElse(-1);
    }

    private static CommandInvocationStatus invocationStatus(CommandExecution.Status status) {
        return switch (status) {
            case PENDING -> CommandInvocationStatus.PENDING;
            case IN_PROGRESS -> CommandInvocationStatus.IN_PROGRESS;
            case SUCCESS -> CommandInvocationStatus.SUCCESS;
            case FAILED -> CommandInvocationStatus.FAILED;
            case TIMED_OUT -> CommandInvocationStatus.TIMED_OUT;
            case CANCELLED -> CommandInvocationStatus.CANCELLED;
        };
    }

    private static String statusDetails(CommandExecution.Status status) {
        return switch (status) {
            case TIMED_OUT -> "ExecutionTimedOut";
            default -> invocationStatus(status).toString();
        };
    }

    // ---- Parameter Store ----

    private GetParameterResponse getParameter(GetParameterRequest request) throws AwsServiceError {
        Parameter parameter = parameters.get(request.name());
        if (parameter == null) {
            throw new AwsServiceError(400, "ParameterNotFound", "Parameter " + request.name() + " not found.");
        }
        if (parameter.type() == ParameterType.SECURE_STRING && !Boolean.TRUE.equals(request.withDecryption())) {
            parameter = parameter.toBuilder().value(ciphertext(parameter.value())).build();
        }
        return GetParameterResponse.builder().parameter(parameter).build();
    }

    private PutParameterResponse putParameter(PutParameterRequest request) throws AwsServiceError {
        String name = request.name();
        if (name == null || !name.matches("/?[A-Za-z0-9_.\\-/]{1,1011}") || name.contains("//")) {
            throw new AwsServiceError(400, "ValidationException", "Parameter name: can't be prefixed with \"aws\" or"
                    + " \"ssm\" (case-insensitive), and must use only a-zA-Z0-9_.-/.");
        }
        if (request.value() == null || request.value().isEmpty() || request.value().length() > MAX_PARAMETER_VALUE) {
            throw new AwsServiceError(400, "ValidationException", "Parameter value must be 1 to " + MAX_PARAMETER_VALUE
                    + " characters long.");
        }
        Parameter existing = parameters.get(name);
        if (existing != null && !Boolean.TRUE.equals(request.overwrite())) {
            throw new AwsServiceError(400, "ParameterAlreadyExists", "The parameter already exists. To overwrite this"
                    + " value, set the overwrite option in the request to true.");
        }
        ParameterType type = request.type() != null ? request.type() : existing != null ? existing.type() : null;
        if (type == null || type == ParameterType.UNKNOWN_TO_SDK_VERSION) {
            throw new AwsServiceError(400, "ValidationException", "A parameter type (String, StringList or"
                    + " SecureString) is required for a new parameter.");
        }
        long version = existing == null ? 1 : existing.version() + 1;
        parameters.put(name, parameter(name, type, request.value(), version));
        return PutParameterResponse.builder().version(version).tier("Standard").build();
    }

    private Parameter parameter(String name, ParameterType type, String value, long version) {
        return Parameter.builder().name(name).type(type).value(value).version(version)
                .lastModifiedDate(clock.instant()).dataType("text")
                .arn("arn:aws:ssm:" + region + ":" + accountId + ":parameter" + (name.startsWith("/") ? name : "/" + name))
                .build();
    }

    /** What GetParameter without decryption shows of a SecureString: an opaque blob, never the value. */
    private static String ciphertext(String value) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return "AQICAH" + Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
