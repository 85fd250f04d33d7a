package io.fleetdeploy.sandbox.aws;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsResponse;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.autoscaling.model.LifecycleState;
import software.amazon.awssdk.services.autoscaling.model.SetDesiredCapacityRequest;
import software.amazon.awssdk.services.autoscaling.model.SetDesiredCapacityResponse;
import software.amazon.awssdk.services.autoscaling.model.SuspendedProcess;
import software.amazon.awssdk.services.autoscaling.model.TagDescription;

/** A test-only Auto Scaling: two pages of groups with nested lists, tags and timestamps; records requests. */
final class TestAutoScalingService implements AwsApi.Handler {

    static final Instant CREATED = Instant.parse("2024-03-01T10:15:30.250Z");

    final AtomicReference<AwsRequest> lastRequest = new AtomicReference<>();

    @Override
    public AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
        lastRequest.set(request);
        switch (action) {
            case "DescribeAutoScalingGroups" -> {
                DescribeAutoScalingGroupsRequest describe = (DescribeAutoScalingGroupsRequest) request;
                if (describe.nextToken() == null) {
                    return DescribeAutoScalingGroupsResponse.builder().autoScalingGroups(group("web-blue", 2)).nextToken("page-2").build();
                }
                if (!describe.nextToken().equals("page-2")) {
                    throw AwsServiceError.validation("The NextToken value " + describe.nextToken() + " is invalid");
                }
                return DescribeAutoScalingGroupsResponse.builder().autoScalingGroups(group("web-green & <co>", 1)).build();
            }
            case "SetDesiredCapacity" -> {
                SetDesiredCapacityRequest set = (SetDesiredCapacityRequest) request;
                if (!set.autoScalingGroupName().startsWith("web-")) {
                    throw AwsServiceError.validation("AutoScalingGroup name not found - " + set.autoScalingGroupName());
                }
                return SetDesiredCapacityResponse.builder().build();
            }
            default -> throw new AwsServiceError(400, "InvalidAction", action + " is not in this test service");
        }
    }

    static AutoScalingGroup group(String name, int instances) {
        List<Instance> members = java.util.stream.IntStream.range(0, instances)
                .mapToObj(i -> Instance.builder().instanceId("i-0" + i + name.length()).availabilityZone("eu-west-1a")
                        .lifecycleState(i == 0 ? LifecycleState.IN_SERVICE : LifecycleState.STANDBY).healthStatus("Healthy")
                        .protectedFromScaleIn(i == 1).build())
                .toList();
        return AutoScalingGroup.builder()
                .autoScalingGroupName(name)
                .autoScalingGroupARN("arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/" + name)
                .minSize(1).maxSize(4).desiredCapacity(instances).defaultCooldown(300)
                .availabilityZones("eu-west-1a", "eu-west-1b")
                .targetGroupARNs("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/abc")
                .healthCheckType("ELB").healthCheckGracePeriod(60)
                .createdTime(CREATED)
                .instances(members)
                .suspendedProcesses(SuspendedProcess.builder().processName("AZRebalance").suspensionReason("User suspended").build())
                .tags(TagDescription.builder().resourceId(name).resourceType("auto-scaling-group").key("fleet:app")
                        .value("shop").propagateAtLaunch(true).build())
                .loadBalancerNames(List.of())
                .build();
    }
}
