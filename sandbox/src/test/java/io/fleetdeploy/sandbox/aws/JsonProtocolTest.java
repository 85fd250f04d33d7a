package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Command;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationResponse;
import software.amazon.awssdk.services.ssm.model.InvocationDoesNotExistException;
import software.amazon.awssdk.services.ssm.model.SendCommandRequest;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** AWS JSON 1.1 (SSM) as the SDK and the AWS CLI speak it, with its error shapes. */
class JsonProtocolTest {

    private static final String JSON = "application/x-amz-json-1.1";

    private static TestServices.Ssm service;
    private static EndpointFixture fixture;
    private static SsmClient ssm;

    @BeforeAll
    static void start() throws Exception {
        service = new TestServices.Ssm();
        fixture = new EndpointFixture(List.of(AwsApi.SSM.service(service)));
        ssm = fixture.client(SsmClient.builder());
    }

    @AfterAll
    static void stop() {
        ssm.close();
        fixture.close();
    }

    @BeforeEach
    void clean() {
        fixture.faults.clear();
        fixture.counters.reset();
    }

    @Test
    void sdkSendCommandRoundTripsMapsOfListsAndTimestamps() {
        SendCommandRequest request = SendCommandRequest.builder().instanceIds("i-0aaa", "i-0bbb").documentName("AWS-RunShellScript")
                .parameters(Map.of("commands", List.of("cd /srv", "./agent install 1.2.3"), "workingDirectory", List.of("/")))
                .timeoutSeconds(600).comment("deploy 1.2.3").build();

        Command command = ssm.sendCommand(request).command();

        assertThat(service.lastRequest.get()).isEqualTo(request);
        assertThat(command).isEqualTo(TestServices.Ssm.command(request));
        assertThat(command.requestedDateTime()).isEqualTo(TestServices.REQUESTED);
        assertThat(fixture.counters.snapshot()).containsExactly(Map.entry("ssm.SendCommand", 1L));
    }

    @Test
    void modeledErrorBecomesTheSdksExceptionType() {
        assertThatThrownBy(() -> ssm.getCommandInvocation(r -> r.commandId(TestServices.MISSING_COMMAND_ID).instanceId("i-0aaa")))
                .isInstanceOfSatisfying(InvocationDoesNotExistException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Command " + TestServices.MISSING_COMMAND_ID + " does not exist");
                    assertThat(e.requestId()).isNotBlank();
                });
    }

    @Test
    void awsCliReadsAndWritesTheSameValues() throws Exception {
        AwsCli cli = new AwsCli(fixture.endpoint.endpoint(), EndpointFixture.REGION.id());

        AwsCli.Result sent = cli.run(fixture.user, "ssm", "send-command", "--instance-ids", "i-0aaa",
                "--document-name", "AWS-RunShellScript", "--parameters", "commands=[\"echo hi\",\"date\"]", "--timeout-seconds", "120");
        assertThat(sent.exitCode()).as(sent.stderr()).isZero();
        assertThat(service.lastRequest.get()).isEqualTo(SendCommandRequest.builder().instanceIds("i-0aaa")
                .documentName("AWS-RunShellScript").parameters(TestServices.commands("echo hi", "date")).timeoutSeconds(120).build());
        JsonNode command = sent.json().get("Command");
        assertThat(command.get("CommandId").asText()).isEqualTo(TestServices.COMMAND_ID);
        assertThat(command.get("Parameters").get("commands")).extracting(JsonNode::asText).containsExactly("echo hi", "date");
        assertThat(command.get("TimeoutSeconds").asInt()).isEqualTo(120);
        assertThat(Instant.parse(command.get("RequestedDateTime").asText().replace("+00:00", "Z")))
                .isEqualTo(TestServices.REQUESTED);

        AwsCli.Result invocation = cli.run(fixture.user, "ssm", "get-command-invocation", "--command-id", TestServices.COMMAND_ID, "--instance-id", "i-0aaa");
        assertThat(invocation.exitCode()).as(invocation.stderr()).isZero();
        GetCommandInvocationResponse sdk = ssm.getCommandInvocation(r -> r.commandId(TestServices.COMMAND_ID).instanceId("i-0aaa"));
        JsonNode json = invocation.json();
        assertThat(json.get("StandardOutputContent").asText()).isEqualTo(sdk.standardOutputContent());
        assertThat(json.get("Status").asText()).isEqualTo(sdk.statusAsString());
        assertThat(json.get("ResponseCode").asInt()).isEqualTo(sdk.responseCode());

        AwsCli.Result missing = cli.run(fixture.user, "ssm", "get-command-invocation", "--command-id", TestServices.MISSING_COMMAND_ID, "--instance-id", "i-0aaa");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.stderr()).contains("(InvocationDoesNotExist)").contains("Command " + TestServices.MISSING_COMMAND_ID + " does not exist");
    }

    @Test
    void malformedJsonIsASerializationException() throws Exception {
        HttpResponse<String> notJson = fixture.signedPost("ssm", JSON, "{\"CommandId\":", Map.of("X-Amz-Target", "AmazonSSM.GetCommandInvocation"));
        HttpResponse<String> wrongType = fixture.signedPost("ssm", JSON, "{\"InstanceIds\":\"i-0aaa\",\"DocumentName\":\"x\"}",
                Map.of("X-Amz-Target", "AmazonSSM.SendCommand"));

        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(fixture.counters.get("ssm.GetCommandInvocation")).isEqualTo(1);
        assertThat(notJson.body()).startsWith("{\"__type\":\"SerializationException\",\"message\":\"The request body is not valid JSON");
        assertThat(wrongType.statusCode()).isEqualTo(400);
        assertThat(wrongType.body()).isEqualTo("{\"__type\":\"SerializationException\",\"message\":\"InstanceIds must be a JSON array\"}");
        assertThat(wrongType.headers().firstValue("x-amzn-ErrorType")).contains("SerializationException");
    }

    @Test
    void unknownOperationAndBadSignatureUseJsonCodes() throws Exception {
        HttpResponse<String> unknown = fixture.signedPost("ssm", JSON, "{}", Map.of("X-Amz-Target", "AmazonSSM.LaunchRockets"));
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("\"__type\":\"UnknownOperationException\"");

        try (SsmClient wrongSecret = fixture.client(SsmClient.builder(),
                AwsBasicCredentials.create(EndpointFixture.ACCESS_KEY, "not-the-secret-0000"))) {
            assertThatThrownBy(() -> wrongSecret.getCommandInvocation(r -> r.commandId(TestServices.COMMAND_ID).instanceId("i-0aaa")))
                    .isInstanceOfSatisfying(SsmException.class,
                            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException"));
        }
        assertThat(fixture.counters.snapshot()).isEmpty();
    }

    @Test
    void throttlingExceptionIsRetriedBySdk() {
        fixture.faults.throttleNext("ssm.GetCommandInvocation", 2);

        assertThat(ssm.getCommandInvocation(r -> r.commandId(TestServices.COMMAND_ID).instanceId("i-0aaa")).responseCode()).isZero();

        assertThat(fixture.counters.get("ssm.GetCommandInvocation")).isEqualTo(3);
    }
}
