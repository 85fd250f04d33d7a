package io.fleetdeploy.sandbox;

import static io.fleetdeploy.sandbox.SandboxFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.autoscaling.model.LifecycleState;
import software.amazon.awssdk.services.ssm.model.CommandInvocationStatus;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationResponse;
import software.amazon.awssdk.services.ssm.model.InvalidCommandIdException;
import software.amazon.awssdk.services.ssm.model.InvalidDocumentException;
import software.amazon.awssdk.services.ssm.model.InvalidInstanceIdException;
import software.amazon.awssdk.services.ssm.model.InvalidParametersException;
import software.amazon.awssdk.services.ssm.model.InvocationDoesNotExistException;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/** SSM Run Command for real on sandbox instances, and Parameter Store, through the AWS SDK. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SystemsManagerTest {

    private static final Duration QUICK = Duration.ofSeconds(30);
    /** The agent calls the AWS CLI three times; on a loaded 2-core machine each call can take seconds. */
    private static final Duration INSTALL = Duration.ofSeconds(150);

    private SandboxFixture fixture;
    private String first;
    private String second;

    @BeforeAll
    void start() {
        fixture = new SandboxFixture("""
                "bootDelayMillis": 50,
                "groups": [{"name": "workers", "app": "shop", "channel": "none", "minSize": 2, "maxSize": 2}],
                "parameters": [{"name": "/shop/db-host", "value": "db.internal"},
                               {"name": "/shop/api-key", "type": "SecureString", "value": "s3cr3t-api-key"}]
                """);
        await("two workers InService", QUICK, () -> fixture.sandbox.groupInstances("workers").values().stream()
                .filter("InService"::equals).count() == 2);
        List<Instance> instances = fixture.autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames("workers"))
                .autoScalingGroups().get(0).instances();
        assertThat(instances).allSatisfy(i -> assertThat(i.lifecycleState()).isEqualTo(LifecycleState.IN_SERVICE));
        first = instances.get(0).instanceId();
        second = instances.get(1).instanceId();
    }

    @AfterAll
    void stop() {
        fixture.close();
    }

    @Test
    void aShellScriptRunsInTheInstancesDirectoryWithItsEnvironment() {
        String commandId = send(List.of("pwd", "echo \"$FLEET_INSTANCE_ID $FLEET_APP $FLEET_GROUP $FLEET_BUCKET\"",
                "test -n \"$AWS_SECRET_ACCESS_KEY\" && test -f \"$FLEET_AGENT\" && echo agent-and-credentials"), first, second);
        for (String instance : List.of(first, second)) {
            GetCommandInvocationResponse done = awaitDone(commandId, instance);
            assertThat(done.status()).isEqualTo(CommandInvocationStatus.SUCCESS);
            assertThat(done.responseCode()).isZero();
            Path home = fixture.sandbox.instance(instance).orElseThrow().host().home();
            assertThat(done.standardOutputContent().lines().toList()).containsExactly(
                    home.toAbsolutePath().toString(), instance + " shop workers fleet-releases", "agent-and-credentials");
        }
        var invocations = fixture.ssm.listCommandInvocations(r -> r.commandId(commandId).details(true)).commandInvocations();
        assertThat(invocations).hasSize(2).allSatisfy(i -> {
            assertThat(i.status()).isEqualTo(CommandInvocationStatus.SUCCESS);
            assertThat(i.commandPlugins()).singleElement().satisfies(p -> {
                assertThat(p.name()).isEqualTo("aws:runShellScript");
                assertThat(p.output()).contains("agent-and-credentials");
            });
        });
        assertThat(fixture.ssm.listCommands(r -> r.commandId(commandId)).commands()).singleElement()
                .satisfies(c -> assertThat(c.statusAsString()).isEqualTo("Success"));
    }

    @Test
    void theAgentInstallsAReleaseThroughSsmAsTheEngineWillRunIt() {
        fixture.publish("shop", "ssm-test", "3.1.0", true);
        String commandId = send(List.of("sh \"$FLEET_AGENT\" install 3.1.0"), first);
        GetCommandInvocationResponse done = awaitDone(commandId, first, INSTALL);
        assertThat(done.status()).as(done.standardErrorContent()).isEqualTo(CommandInvocationStatus.SUCCESS);
        var host = fixture.sandbox.instance(first).orElseThrow().host();
        assertThat(host.currentVersion()).contains("3.1.0");
        assertThat(fixture.get(host.endpoint().resolve("/health")).statusCode()).isEqualTo(200);
    }

    @Test
    void aFailingScriptReportsItsExitCodeAndOutput() {
        String commandId = send(List.of("echo partial", "echo broken >&2", "exit 3"), first);
        GetCommandInvocationResponse done = awaitDone(commandId, first);
        assertThat(done.status()).isEqualTo(CommandInvocationStatus.FAILED);
        assertThat(done.responseCode()).isEqualTo(3);
        assertThat(done.standardOutputContent()).isEqualTo("partial\n");
        assertThat(done.standardErrorContent()).isEqualTo("broken\n");
    }

    @Test
    void theCommandFaultMakesEveryCommandOnOneInstanceFailUntilCleared() {
        assertThat(fixture.admin("PUT", "/instances/" + second + "/command-fault", "{\"failing\": true}").statusCode())
                .isEqualTo(200);
        try {
            String commandId = send(List.of("echo fine"), first, second);
            assertThat(awaitDone(commandId, first).status()).isEqualTo(CommandInvocationStatus.SUCCESS);
            GetCommandInvocationResponse failed = awaitDone(commandId, second);
            assertThat(failed.status()).isEqualTo(CommandInvocationStatus.FAILED);
            assertThat(failed.standardErrorContent()).contains("sandbox fault");
            assertThat(fixture.admin("GET", "/faults", null).body()).contains(second);
        } finally {
            fixture.admin("PUT", "/instances/" + second + "/command-fault", "{\"failing\": false}");
        }
        assertThat(awaitDone(send(List.of("echo fine"), second), second).status()).isEqualTo(CommandInvocationStatus.SUCCESS);
        assertThat(fixture.admin("PUT", "/instances/" + second + "/command-fault", "{\"failing\": 1}").statusCode())
                .isEqualTo(400);
    }

    @Test
    void aCommandTimesOutAfterItsExecutionTimeoutAndCanBeCancelled() {
        String slow = fixture.ssm.sendCommand(r -> r.documentName("AWS-RunShellScript").instanceIds(first)
                .parameters(Map.of("commands", List.of("sleep 30"), "executionTimeout", List.of("1")))).command().commandId();
        GetCommandInvocationResponse timedOut = awaitDone(slow, first);
        assertThat(timedOut.status()).isEqualTo(CommandInvocationStatus.TIMED_OUT);
        assertThat(timedOut.statusDetails()).isEqualTo("ExecutionTimedOut");
        assertThat(timedOut.responseCode()).isEqualTo(-1);

        String cancelled = send(List.of("sleep 30"), second);
        fixture.ssm.cancelCommand(r -> r.commandId(cancelled));
        assertThat(awaitDone(cancelled, second).status()).isEqualTo(CommandInvocationStatus.CANCELLED);
    }

    @Test
    void badCommandsAreRefusedWithSsmsErrors() {
        assertThatThrownBy(() -> send(List.of("true"), "i-0123456789abcdef0")).isInstanceOf(InvalidInstanceIdException.class);
        assertThatThrownBy(() -> fixture.ssm.sendCommand(r -> r.documentName("AWS-RunPowerShellScript").instanceIds(first)
                .parameters(Map.of("commands", List.of("dir"))))).isInstanceOf(InvalidDocumentException.class);
        assertThatThrownBy(() -> fixture.ssm.sendCommand(r -> r.documentName("AWS-RunShellScript").instanceIds(first)
                .parameters(Map.of("executionTimeout", List.of("10"))))).isInstanceOf(InvalidParametersException.class);
        assertThatThrownBy(() -> fixture.ssm.sendCommand(r -> r.documentName("AWS-RunShellScript").instanceIds(first)
                .parameters(Map.of("commands", List.of("true"), "executionTimeout", List.of("soon")))))
                .isInstanceOf(InvalidParametersException.class);
        String commandId = send(List.of("true"), first);
        assertThatThrownBy(() -> fixture.ssm.getCommandInvocation(r -> r.commandId(commandId).instanceId(second)))
                .isInstanceOf(InvocationDoesNotExistException.class);
        assertThatThrownBy(() -> fixture.ssm.cancelCommand(r -> r.commandId("00000000-0000-0000-0000-000000000000")))
                .isInstanceOf(InvalidCommandIdException.class);
    }

    @Test
    void parametersArePutAndGotWithVersionsAndSecureStringsStayHidden() {
        assertThat(fixture.ssm.getParameter(r -> r.name("/shop/db-host")).parameter().value()).isEqualTo("db.internal");
        assertThat(fixture.ssm.getParameter(r -> r.name("/shop/api-key")).parameter().value()).doesNotContain("s3cr3t");
        assertThat(fixture.ssm.getParameter(r -> r.name("/shop/api-key").withDecryption(true)).parameter().value())
                .isEqualTo("s3cr3t-api-key");

        assertThat(fixture.ssm.putParameter(r -> r.name("/shop/release").type(ParameterType.STRING).value("1.0.0")).version())
                .isEqualTo(1);
        assertThatThrownBy(() -> fixture.ssm.putParameter(r -> r.name("/shop/release").type(ParameterType.STRING).value("2.0.0")))
                .isInstanceOf(ParameterAlreadyExistsException.class);
        assertThat(fixture.ssm.getParameter(r -> r.name("/shop/release")).parameter().value()).isEqualTo("1.0.0");
        assertThat(fixture.ssm.putParameter(r -> r.name("/shop/release").value("2.0.0").overwrite(true)).version()).isEqualTo(2);
        assertThat(fixture.ssm.getParameter(r -> r.name("/shop/release")).parameter()).satisfies(p -> {
            assertThat(p.value()).isEqualTo("2.0.0");
            assertThat(p.version()).isEqualTo(2);
            assertThat(p.type()).isEqualTo(ParameterType.STRING);
        });
        assertThatThrownBy(() -> fixture.ssm.getParameter(r -> r.name("/shop/none"))).isInstanceOf(ParameterNotFoundException.class);
    }

    private String send(List<String> commands, String... instances) {
        return fixture.ssm.sendCommand(r -> r.documentName("AWS-RunShellScript").instanceIds(instances)
                .parameters(Map.of("commands", commands))).command().commandId();
    }

    private GetCommandInvocationResponse awaitDone(String commandId, String instanceId) {
        return awaitDone(commandId, instanceId, QUICK);
    }

    private GetCommandInvocationResponse awaitDone(String commandId, String instanceId, Duration max) {
        GetCommandInvocationResponse[] last = new GetCommandInvocationResponse[1];
        await("command " + commandId + " is done on " + instanceId, max, () -> {
            last[0] = fixture.ssm.getCommandInvocation(r -> r.commandId(commandId).instanceId(instanceId));
            return !List.of(CommandInvocationStatus.PENDING, CommandInvocationStatus.IN_PROGRESS,
                    CommandInvocationStatus.DELAYED).contains(last[0].status());
        });
        return last[0];
    }
}
