package io.fleetdeploy.sandbox.aws;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceState;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Placement;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ssm.model.Command;
import software.amazon.awssdk.services.ssm.model.CommandInvocationStatus;
import software.amazon.awssdk.services.ssm.model.CommandStatus;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationRequest;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationResponse;
import software.amazon.awssdk.services.ssm.model.SendCommandRequest;
import software.amazon.awssdk.services.ssm.model.SendCommandResponse;

/** Test-only services for the EC2 Query and JSON 1.1 protocols: fixed answers, recorded requests. */
final class TestServices {

    static final Instant LAUNCHED = Instant.parse("2024-05-06T07:08:09Z");
    static final String COMMAND_ID = "0b6a7c8e-1111-4222-8333-944455556666";
    static final String MISSING_COMMAND_ID = "0b6a7c8e-0000-4000-8000-000000000404";
    static final Instant REQUESTED = Instant.parse("2024-05-06T08:00:00.125Z");

    private TestServices() {
    }

    static Reservation reservation() {
        return Reservation.builder().reservationId("r-0abc").ownerId(EndpointFixture.ACCOUNT)
                .instances(instance("i-0aaa", InstanceStateName.RUNNING, 16), instance("i-0bbb", InstanceStateName.STOPPED, 80))
                .build();
    }

    private static Instance instance(String id, InstanceStateName state, int code) {
        return Instance.builder().instanceId(id).imageId("ami-0123").instanceType("t3.micro")
                .state(InstanceState.builder().code(code).name(state).build())
                .privateIpAddress("10.0.0." + code).launchTime(LAUNCHED)
                .placement(Placement.builder().availabilityZone("eu-west-1a").build())
                .tags(Tag.builder().key("fleet:app").value("shop").build(), Tag.builder().key("Name").value(id + " <web>").build())
                .build();
    }

    static final class Ec2 implements AwsApi.Handler {
        final AtomicReference<AwsRequest> lastRequest = new AtomicReference<>();

        @Override
        public AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
            lastRequest.set(request);
            if (!action.equals("DescribeInstances")) {
                throw new AwsServiceError(400, "InvalidAction", action + " is not in this test service");
            }
            return DescribeInstancesResponse.builder().reservations(reservation()).build();
        }
    }

    static final class Ssm implements AwsApi.Handler {
        final AtomicReference<AwsRequest> lastRequest = new AtomicReference<>();

        @Override
        public AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
            lastRequest.set(request);
            return switch (action) {
                case "SendCommand" -> {
                    SendCommandRequest send = (SendCommandRequest) request;
                    yield SendCommandResponse.builder().command(command(send)).build();
                }
                case "GetCommandInvocation" -> {
                    GetCommandInvocationRequest get = (GetCommandInvocationRequest) request;
                    if (!get.commandId().equals(COMMAND_ID)) {
                        throw new AwsServiceError(400, "InvocationDoesNotExist", "Command " + get.commandId() + " does not exist");
                    }
                    yield GetCommandInvocationResponse.builder().commandId(COMMAND_ID).instanceId(get.instanceId())
                            .status(CommandInvocationStatus.SUCCESS).responseCode(0)
                            .standardOutputContent("deployed 1.2.3\n\"quoted\" & done").standardErrorContent("")
                            .executionStartDateTime("2024-05-06T08:00:01.000Z").build();
                }
                default -> throw new AwsServiceError(400, "InvalidAction", action + " is not in this test service");
            };
        }

        static Command command(SendCommandRequest send) {
            return Command.builder().commandId(COMMAND_ID).documentName(send.documentName()).comment(send.comment())
                    .instanceIds(send.instanceIds()).parameters(send.parameters()).requestedDateTime(REQUESTED)
                    .status(CommandStatus.PENDING).timeoutSeconds(send.timeoutSeconds()).targetCount(send.instanceIds().size())
                    .build();
        }
    }

    static Map<String, List<String>> commands(String... lines) {
        return Map.of("commands", List.of(lines));
    }
}
