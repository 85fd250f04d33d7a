package io.fleetdeploy.sandbox;

import static io.fleetdeploy.sandbox.SandboxFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.autoscaling.model.Activity;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.autoscaling.model.LifecycleState;
import software.amazon.awssdk.services.autoscaling.model.ScalingActivityStatusCode;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ActionTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ListenerNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Rule;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;

/**
 * Auto Scaling, ELBv2 and EC2 behaviour through the real AWS SDK, with real instances that install
 * releases with the real agent. One sandbox for the class: group "web" (ELB health checks, behind
 * the listener) and "green" (weight 0 on the same listener) run releases; "ops" and "plain" run
 * without a release, for the capacity rules, which need no application.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetBehaviourTest {

    private static final Duration INSTALL = Duration.ofSeconds(120);
    private static final Duration QUICK = Duration.ofSeconds(20);
    private static final String HEALTH = "\"healthCheck\": {\"intervalMillis\": 200, \"timeoutMillis\": 150,"
            + " \"healthyThreshold\": 2, \"unhealthyThreshold\": 2}, \"deregistrationDelayMillis\": 2000";

    private SandboxFixture fixture;

    @BeforeAll
    void start() {
        fixture = new SandboxFixture("""
                "bootDelayMillis": 100,
                "targetGroups": [{"name": "web", %1$s}, {"name": "green", %1$s}, {"name": "spare", %1$s}],
                "groups": [
                  {"name": "web", "app": "shop", "channel": "blue", "minSize": 1, "maxSize": 4, "desiredCapacity": 1,
                   "healthCheckType": "ELB", "targetGroups": ["web"]},
                  {"name": "green", "app": "shop", "channel": "green", "minSize": 0, "maxSize": 2, "desiredCapacity": 0,
                   "healthCheckType": "ELB", "targetGroups": ["green"]},
                  {"name": "ops", "app": "shop", "channel": "none", "minSize": 0, "maxSize": 3, "desiredCapacity": 0,
                   "targetGroups": ["spare"]},
                  {"name": "plain", "app": "shop", "channel": "none", "minSize": 0, "maxSize": 5, "desiredCapacity": 0},
                  {"name": "puller", "app": "shop", "channel": "pull", "minSize": 0, "maxSize": 1, "desiredCapacity": 0,
                   "agentPollIntervalMillis": 300}
                ],
                "loadBalancers": [{"name": "shop", "listeners": [{"port": 80,
                   "forward": [{"targetGroup": "web", "weight": 1}, {"targetGroup": "green", "weight": 0}]}]}]
                """.formatted(HEALTH));
        fixture.publish("shop", "blue", "1.0.0", true);
        fixture.publish("shop", "green", "2.0.0", true);
        fixture.autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("web").desiredCapacity(2));
        fixture.autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("green").desiredCapacity(1));
    }

    @AfterAll
    void stop() {
        fixture.close();
    }

    @Test
    void newInstancesInstallTheirChannelsVersionBeforeTheyGoInService() {
        List<Instance> web = awaitSettled("web", 2);
        for (Instance instance : web) {
            assertThat(fixture.sandbox.instance(instance.instanceId()).orElseThrow().host().currentVersion())
                    .contains("1.0.0");
            // The real agent wrote the instance's status next to the release.
            String status = fixture.s3.getObjectAsBytes(b -> b.bucket(fixture.sandbox.bucket())
                    .key("shop/status/web/" + instance.instanceId() + ".json")).asUtf8String();
            assertThat(status).contains("\"version\":\"1.0.0\"");
            assertThat(activities("web")).anySatisfy(a -> {
                assertThat(a.description()).isEqualTo("Launching a new EC2 instance: " + instance.instanceId());
                assertThat(a.statusCode()).isEqualTo(ScalingActivityStatusCode.SUCCESSFUL);
            });
        }
        assertThat(awaitSettled("green", 1)).allSatisfy(i -> assertThat(
                fixture.sandbox.instance(i.instanceId()).orElseThrow().host().currentVersion()).contains("2.0.0"));
        var reservations = fixture.ec2.describeInstances(r -> r.instanceIds(web.get(0).instanceId())).reservations();
        assertThat(reservations).singleElement().satisfies(r -> assertThat(r.instances()).singleElement().satisfies(i -> {
            assertThat(i.state().nameAsString()).isEqualTo("running");
            assertThat(i.tags()).anySatisfy(t -> {
                assertThat(t.key()).isEqualTo("aws:autoscaling:groupName");
                assertThat(t.value()).isEqualTo("web");
            });
        }));
    }

    @Test
    void theListenerServesHealthyTargetsByWeightAndFollowsModifyListenerAndModifyRule() {
        awaitSettled("web", 2);
        awaitSettled("green", 1);
        URI url = fixture.sandbox.listenerUrls().get("shop:80");
        assertThat(versionsServed(url, 6)).containsOnly("1.0.0");

        Listener listener = fixture.elb.describeListeners(r -> r.loadBalancerArn(loadBalancerArn())).listeners().get(0);
        String web = targetGroupArn("web");
        String green = targetGroupArn("green");
        fixture.elb.modifyListener(r -> r.listenerArn(listener.listenerArn()).defaultActions(a -> a
                .type(ActionTypeEnum.FORWARD).forwardConfig(f -> f.targetGroups(
                        t -> t.targetGroupArn(web).weight(0), t -> t.targetGroupArn(green).weight(1)))));
        assertThat(versionsServed(url, 6)).as("the next requests after ModifyListener").containsOnly("2.0.0");
        Listener modified = fixture.elb.describeListeners(r -> r.listenerArns(listener.listenerArn())).listeners().get(0);
        assertThat(modified.defaultActions().get(0).forwardConfig().targetGroups())
                .extracting(t -> t.targetGroupArn() + "=" + t.weight()).containsExactly(web + "=0", green + "=1");

        Rule rule = fixture.elb.describeRules(r -> r.listenerArn(listener.listenerArn())).rules().get(0);
        assertThat(rule.isDefault()).isTrue();
        fixture.elb.modifyRule(r -> r.ruleArn(rule.ruleArn()).actions(a -> a.type(ActionTypeEnum.FORWARD).targetGroupArn(web)));
        assertThat(versionsServed(url, 6)).as("the next requests after ModifyRule").containsOnly("1.0.0");

        assertThatThrownBy(() -> fixture.elb.modifyListener(r -> r.listenerArn(listener.listenerArn())
                .defaultActions(a -> a.type(ActionTypeEnum.FORWARD).targetGroupArn(web.replace("/web/", "/nope/")))))
                .isInstanceOf(TargetGroupNotFoundException.class);
        assertThatThrownBy(() -> fixture.elb.modifyListener(r -> r.listenerArn(listener.listenerArn() + "0")
                .defaultActions(a -> a.type(ActionTypeEnum.FORWARD).targetGroupArn(web))))
                .isInstanceOf(ListenerNotFoundException.class);
        assertThat(versionsServed(url, 3)).as("failed modifications changed nothing").containsOnly("1.0.0");
    }

    @Test
    void aPullGroupsTimerRunsTheAgentsPollSoInstancesFollowTheirChannelByThemselves() {
        fixture.publish("shop", "pull", "1.1.0", true);
        fixture.autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("puller").desiredCapacity(1));
        try {
            await("puller has one InService instance", INSTALL, () -> instances("puller")
                    .anyMatch(i -> i.lifecycleState() == LifecycleState.IN_SERVICE));
            String id = group("puller").instances().get(0).instanceId();
            var host = fixture.sandbox.instance(id).orElseThrow().host();
            assertThat(host.currentVersion()).contains("1.1.0");
            long commandsBefore = fixture.sandbox.counters().get("ssm.SendCommand");
            fixture.publish("shop", "pull", "1.2.0", true);
            await(id + " installs 1.2.0 on its own poll", INSTALL, () -> host.currentVersion().filter("1.2.0"::equals).isPresent());
            assertThat(fixture.sandbox.counters().get("ssm.SendCommand"))
                    .as("no command was sent: the timer ran the agent").isEqualTo(commandsBefore);
        } finally {
            fixture.autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("puller").desiredCapacity(0));
        }
    }

    @Test
    void standbyDrainsTheInstanceAndExitStandbyRegistersItAgain() {
        List<Instance> web = awaitSettled("web", 2);
        String leaving = web.get(0).instanceId();
        String staying = web.get(1).instanceId();
        assertThatThrownBy(() -> fixture.autoScaling.enterStandby(r -> r.autoScalingGroupName("web")
                .instanceIds(leaving, staying).shouldDecrementDesiredCapacity(true)))
                .isInstanceOf(AutoScalingException.class)
                .hasMessageContaining("AutoScalingGroup web has min-size=1, max-size=4, and desired-size=2");

        List<Activity> standby = fixture.autoScaling.enterStandby(r -> r.autoScalingGroupName("web")
                .instanceIds(leaving).shouldDecrementDesiredCapacity(true)).activities();
        assertThat(standby).singleElement().satisfies(a ->
                assertThat(a.description()).isEqualTo("Moving EC2 instance to Standby: " + leaving));
        assertThat(group("web").desiredCapacity()).isEqualTo(1);
        await(leaving + " is in Standby", QUICK, () -> lifecycle("web", leaving) == LifecycleState.STANDBY);
        assertThat(targets("web")).extracting(t -> t.target().id()).containsExactly(staying);
        assertThat(instancesServing(fixture.sandbox.listenerUrls().get("shop:80"), 6)).containsOnly(staying);
        await("no instance is launched for the one in Standby", QUICK, () -> group("web").instances().size() == 2);

        assertThatThrownBy(() -> fixture.autoScaling.exitStandby(r -> r.autoScalingGroupName("web").instanceIds(staying)))
                .isInstanceOf(AutoScalingException.class).hasMessageContaining("is not in Standby");
        fixture.autoScaling.exitStandby(r -> r.autoScalingGroupName("web").instanceIds(leaving));
        assertThat(group("web").desiredCapacity()).isEqualTo(2);
        Set<String> statesSeen = new HashSet<>();
        await(leaving + " is healthy in its target group again", QUICK, () -> {
            targets("web").stream().filter(t -> t.target().id().equals(leaving))
                    .forEach(t -> statesSeen.add(t.targetHealth().stateAsString()));
            return statesSeen.contains("healthy");
        });
        assertThat(statesSeen).as("states seen after ExitStandby").contains("healthy");
        assertThat(lifecycle("web", leaving)).isEqualTo(LifecycleState.IN_SERVICE);
    }

    @Test
    void anUnhealthyTargetIsReplacedOnlyWhileHealthCheckAndReplaceUnhealthyRun() {
        List<Instance> web = awaitSettled("web", 2);
        String sick = web.get(0).instanceId();
        fixture.autoScaling.suspendProcesses(r -> r.autoScalingGroupName("web").scalingProcesses("HealthCheck"));
        try {
            setFault(sick, "health-fault", true);
            await(sick + " is unhealthy in its target group", QUICK, () -> targets("web").stream()
                    .anyMatch(t -> t.target().id().equals(sick) && t.targetHealth().stateAsString().equals("unhealthy")));
            assertThat(instance("web", sick).healthStatus()).as("HealthCheck suspended: the group does not look")
                    .isEqualTo("Healthy");
            fixture.autoScaling.suspendProcesses(r -> r.autoScalingGroupName("web").scalingProcesses("ReplaceUnhealthy"));
            fixture.autoScaling.resumeProcesses(r -> r.autoScalingGroupName("web").scalingProcesses("HealthCheck"));
            await(sick + " is marked Unhealthy", QUICK, () -> "Unhealthy".equals(instance("web", sick).healthStatus()));
            assertThat(lifecycle("web", sick)).as("ReplaceUnhealthy suspended: kept").isEqualTo(LifecycleState.IN_SERVICE);
            assertThat(group("web").suspendedProcesses()).extracting(p -> p.processName())
                    .containsExactly("ReplaceUnhealthy");
        } finally {
            fixture.autoScaling.resumeProcesses(r -> r.autoScalingGroupName("web"));
        }
        await(sick + " is replaced", INSTALL, () -> group("web").instances().stream()
                .noneMatch(i -> i.instanceId().equals(sick)));
        List<Instance> after = awaitSettled("web", 2);
        assertThat(after).extracting(Instance::instanceId).doesNotContain(sick);
        assertThat(fixture.ec2.describeInstances(r -> r.instanceIds(sick)).reservations().get(0).instances().get(0)
                .state().nameAsString()).isEqualTo("terminated");
        assertThat(activities("web")).anySatisfy(a -> {
            assertThat(a.description()).isEqualTo("Terminating EC2 instance: " + sick);
            assertThat(a.cause()).contains("ELB system health check failure");
        });
    }

    @Test
    void desiredCapacityStaysWithinMinAndMaxAsAwsEnforcesThem() {
        setCapacity("plain", 0, 5, 2);
        awaitInService("plain", 2);
        assertThatThrownBy(() -> fixture.autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("plain").desiredCapacity(6)))
                .isInstanceOf(AutoScalingException.class)
                .hasMessageContaining("New SetDesiredCapacity value 6 is above max value 5 for the AutoScalingGroup.");
        assertThatThrownBy(() -> fixture.autoScaling.updateAutoScalingGroup(r -> r.autoScalingGroupName("plain").minSize(4).maxSize(3)))
                .isInstanceOf(AutoScalingException.class).extracting(e -> ((AutoScalingException) e).awsErrorDetails().errorCode())
                .isEqualTo("ValidationError");
        assertThat(group("plain").desiredCapacity()).as("refused changes changed nothing").isEqualTo(2);

        fixture.autoScaling.updateAutoScalingGroup(r -> r.autoScalingGroupName("plain").minSize(3));
        assertThat(group("plain").desiredCapacity()).as("a min above desired raises desired").isEqualTo(3);
        awaitInService("plain", 3);
        fixture.autoScaling.updateAutoScalingGroup(r -> r.autoScalingGroupName("plain").minSize(0).maxSize(1));
        assertThat(group("plain").desiredCapacity()).as("a max below desired lowers desired").isEqualTo(1);
        await("scale-in to 1", QUICK, () -> group("plain").instances().size() == 1);
        setCapacity("plain", 0, 5, 0);
        await("plain is empty", QUICK, () -> group("plain").instances().isEmpty());
    }

    @Test
    void suspendedLaunchAndTerminateStopWhatTheyName() {
        setCapacity("plain", 0, 5, 2);
        List<Instance> running = awaitInService("plain", 2);
        fixture.autoScaling.suspendProcesses(r -> r.autoScalingGroupName("plain").scalingProcesses("Launch"));
        String gone = running.get(0).instanceId();
        fixture.autoScaling.terminateInstanceInAutoScalingGroup(r -> r.instanceId(gone).shouldDecrementDesiredCapacity(false));
        await(gone + " has left the group", QUICK, () -> instances("plain").noneMatch(i -> i.instanceId().equals(gone)));
        assertThat(group("plain").instances()).as("Launch suspended: no replacement").hasSize(1);
        assertThat(group("plain").desiredCapacity()).isEqualTo(2);
        fixture.autoScaling.resumeProcesses(r -> r.autoScalingGroupName("plain").scalingProcesses("Launch"));
        awaitInService("plain", 2);

        fixture.autoScaling.suspendProcesses(r -> r.autoScalingGroupName("plain").scalingProcesses("Terminate"));
        fixture.autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("plain").desiredCapacity(0));
        assertThat(group("plain").instances()).as("Terminate suspended: no scale-in").hasSize(2)
                .allSatisfy(i -> assertThat(i.lifecycleState()).isEqualTo(LifecycleState.IN_SERVICE));
        fixture.autoScaling.resumeProcesses(r -> r.autoScalingGroupName("plain").scalingProcesses("Terminate"));
        await("plain is empty after Terminate resumed", QUICK, () -> group("plain").instances().isEmpty());
    }

    @Test
    void azRebalanceMovesInstancesUnlessSuspended() {
        setCapacity("plain", 0, 5, 3);
        List<Instance> three = awaitInService("plain", 3);
        assertThat(three).extracting(Instance::availabilityZone).containsExactlyInAnyOrder("us-east-1a", "us-east-1a", "us-east-1b");
        String inB = three.stream().filter(i -> i.availabilityZone().equals("us-east-1b")).findFirst().orElseThrow().instanceId();
        fixture.autoScaling.suspendProcesses(r -> r.autoScalingGroupName("plain").scalingProcesses("AZRebalance"));
        fixture.autoScaling.enterStandby(r -> r.autoScalingGroupName("plain").instanceIds(inB).shouldDecrementDesiredCapacity(true));
        await(inB + " is in Standby", QUICK, () -> lifecycle("plain", inB) == LifecycleState.STANDBY);
        assertThat(group("plain").instances()).as("AZRebalance suspended: two in zone a, nothing launched").hasSize(3)
                .filteredOn(i -> i.lifecycleState() == LifecycleState.IN_SERVICE)
                .extracting(Instance::availabilityZone).containsExactly("us-east-1a", "us-east-1a");

        fixture.autoScaling.resumeProcesses(r -> r.autoScalingGroupName("plain").scalingProcesses("AZRebalance"));
        await("one InService instance in each zone again", QUICK, () -> {
            List<Instance> all = group("plain").instances();
            return all.size() == 3 && all.stream().filter(i -> i.lifecycleState() == LifecycleState.IN_SERVICE)
                    .map(Instance::availabilityZone).sorted().toList().equals(List.of("us-east-1a", "us-east-1b"));
        });
        assertThat(group("plain").desiredCapacity()).isEqualTo(2);
        assertThat(activities("plain")).anySatisfy(a -> assertThat(a.cause()).contains("AZRebalance"))
                .anySatisfy(a -> assertThat(a.cause()).contains("availability zone rebalancing"));

        fixture.autoScaling.exitStandby(r -> r.autoScalingGroupName("plain").instanceIds(inB));
        setCapacity("plain", 0, 5, 0);
        await("plain is empty", QUICK, () -> group("plain").instances().isEmpty());
    }

    @Test
    void anInstanceKilledByAFaultIsReplacedAndEc2ShowsItTerminated() {
        setCapacity("ops", 0, 3, 1);
        String victim = awaitInService("ops", 1).get(0).instanceId();
        HttpResponse<String> scheduled = fixture.admin("POST", "/instances/" + victim + "/terminate", "{\"afterMillis\": 300}");
        assertThat(scheduled.statusCode()).isEqualTo(202);
        await(victim + " is terminated by EC2", QUICK, () -> "terminated".equals(fixture.ec2.describeInstances(
                r -> r.instanceIds(victim)).reservations().get(0).instances().get(0).state().nameAsString()));
        await(victim + " is replaced", QUICK, () -> instances("ops").noneMatch(i -> i.instanceId().equals(victim))
                && instances("ops").anyMatch(i -> i.lifecycleState() == LifecycleState.IN_SERVICE));
        assertThat(activities("ops")).anySatisfy(a -> assertThat(a.cause())
                .contains("EC2 health check indicating it has been terminated or stopped"));

        assertThatThrownBy(() -> fixture.ec2.describeInstances(r -> r.instanceIds("i-0123456789abcdef0")))
                .isInstanceOf(Ec2Exception.class)
                .satisfies(e -> assertThat(((Ec2Exception) e).awsErrorDetails().errorCode()).isEqualTo("InvalidInstanceID.NotFound"));
        assertThatThrownBy(() -> fixture.ec2.describeInstances(r -> r.instanceIds("web-1")))
                .satisfies(e -> assertThat(((Ec2Exception) e).awsErrorDetails().errorCode()).isEqualTo("InvalidInstanceID.Malformed"));
        assertThat(fixture.admin("POST", "/instances/i-0000000000000000f/terminate", "{}").statusCode()).isEqualTo(404);
        setCapacity("ops", 0, 3, 0);
        await("ops is empty", QUICK, () -> group("ops").instances().isEmpty());
    }

    @Test
    void addToLoadBalancerSuspendedKeepsNewInstancesOutOfTheirTargetGroups() {
        fixture.autoScaling.suspendProcesses(r -> r.autoScalingGroupName("ops").scalingProcesses("AddToLoadBalancer"));
        setCapacity("ops", 0, 3, 1);
        String outside = awaitInService("ops", 1).get(0).instanceId();
        assertThat(targets("spare")).extracting(t -> t.target().id()).doesNotContain(outside);
        fixture.autoScaling.resumeProcesses(r -> r.autoScalingGroupName("ops"));
        setCapacity("ops", 0, 3, 2);
        List<Instance> both = awaitInService("ops", 2);
        String inside = both.stream().map(Instance::instanceId).filter(id -> !id.equals(outside)).findFirst().orElseThrow();
        // AWS does not add instances launched while AddToLoadBalancer was suspended, only new ones.
        assertThat(targets("spare")).extracting(t -> t.target().id()).containsExactly(inside);
        // A target group no listener forwards to is not health-checked: its targets are unused.
        assertThat(targets("spare")).singleElement().satisfies(t -> {
            assertThat(t.targetHealth().stateAsString()).isEqualTo("unused");
            assertThat(t.targetHealth().reasonAsString()).isEqualTo("Target.NotInUse");
        });
        setCapacity("ops", 0, 3, 0);
        await("ops is empty", QUICK, () -> group("ops").instances().isEmpty());
    }

    @Test
    void protectedInstancesSurviveScaleIn() {
        setCapacity("plain", 0, 5, 2);
        List<Instance> two = awaitInService("plain", 2);
        String kept = two.get(0).instanceId();
        fixture.autoScaling.setInstanceProtection(r -> r.autoScalingGroupName("plain").instanceIds(kept).protectedFromScaleIn(true));
        fixture.autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName("plain").desiredCapacity(1));
        await("scale-in to 1", QUICK, () -> group("plain").instances().size() == 1);
        assertThat(group("plain").instances()).singleElement().satisfies(i -> {
            assertThat(i.instanceId()).isEqualTo(kept);
            assertThat(i.protectedFromScaleIn()).isTrue();
        });
        assertThatThrownBy(() -> fixture.autoScaling.setInstanceProtection(r -> r.autoScalingGroupName("plain")
                .instanceIds("i-0123456789abcdef0").protectedFromScaleIn(true)))
                .hasMessageContaining("is not part of Auto Scaling group plain");
        fixture.autoScaling.setInstanceProtection(r -> r.autoScalingGroupName("plain").instanceIds(kept).protectedFromScaleIn(false));
        setCapacity("plain", 0, 5, 0);
        await("plain is empty", QUICK, () -> group("plain").instances().isEmpty());
    }

    @Test
    void groupsAreDescribedPageByPageAndByNameAndTagsCanBeManaged() {
        List<String> names = fixture.autoScaling.describeAutoScalingGroupsPaginator(r -> r.maxRecords(1))
                .autoScalingGroups().stream().map(AutoScalingGroup::autoScalingGroupName).toList();
        assertThat(names).containsExactly("web", "green", "ops", "plain", "puller");
        assertThat(fixture.autoScaling.describeAutoScalingGroups(r -> r.maxRecords(3)).nextToken()).isNotNull();
        assertThat(fixture.autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames("green", "nope"))
                .autoScalingGroups()).extracting(AutoScalingGroup::autoScalingGroupName).containsExactly("green");
        assertThatThrownBy(() -> fixture.autoScaling.describeAutoScalingGroups(r -> r.nextToken("garbage")))
                .isInstanceOf(AutoScalingException.class);

        fixture.autoScaling.createOrUpdateTags(r -> r.tags(t -> t.resourceId("green").resourceType("auto-scaling-group")
                .key("team").value("shop").propagateAtLaunch(true)));
        assertThat(fixture.autoScaling.describeTags(r -> r.filters(f -> f.name("key").values("team"))).tags())
                .singleElement().satisfies(t -> {
                    assertThat(t.resourceId()).isEqualTo("green");
                    assertThat(t.value()).isEqualTo("shop");
                });
        assertThat(fixture.autoScaling.describeAutoScalingGroups(r -> r.filters(f -> f.name("tag:team").values("shop")))
                .autoScalingGroups()).extracting(AutoScalingGroup::autoScalingGroupName).containsExactly("green");
        fixture.autoScaling.deleteTags(r -> r.tags(t -> t.resourceId("green").resourceType("auto-scaling-group").key("team")));
        assertThat(fixture.autoScaling.describeTags(r -> r.filters(f -> f.name("key").values("team"))).tags()).isEmpty();
        assertThatThrownBy(() -> fixture.autoScaling.createOrUpdateTags(r -> r.tags(t -> t.resourceId("nope")
                .resourceType("auto-scaling-group").key("k").value("v"))))
                .hasMessageContaining("AutoScalingGroup name not found");

        List<Instance> web = awaitSettled("web", 2);
        var details = fixture.autoScaling.describeAutoScalingInstances(r -> r.instanceIds(web.get(0).instanceId()))
                .autoScalingInstances();
        assertThat(details).singleElement().satisfies(d -> {
            assertThat(d.autoScalingGroupName()).isEqualTo("web");
            assertThat(d.lifecycleState()).isEqualTo("InService");
            assertThat(d.healthStatus()).isEqualTo("HEALTHY");
        });
        TargetGroup webGroup = fixture.elb.describeTargetGroups(r -> r.names("web")).targetGroups().get(0);
        assertThat(webGroup.loadBalancerArns()).containsExactly(loadBalancerArn());
        assertThat(webGroup.healthCheckPath()).isEqualTo("/health");
        assertThatThrownBy(() -> fixture.elb.describeTargetGroups(r -> r.names("nope")))
                .isInstanceOf(TargetGroupNotFoundException.class);
    }

    // ---- helpers ----

    private List<Instance> awaitSettled(String group, int count) {
        String targetGroup = group;
        await(group + " has " + count + " InService instances, each healthy in target group " + targetGroup, INSTALL, () -> {
            List<Instance> inService = instances(group).filter(i -> i.lifecycleState() == LifecycleState.IN_SERVICE
                    && "Healthy".equals(i.healthStatus())).toList();
            Set<String> healthy = targets(targetGroup).stream()
                    .filter(t -> t.targetHealth().stateAsString().equals("healthy"))
                    .map(t -> t.target().id()).collect(Collectors.toSet());
            return inService.size() == count && group(group).instances().size() == count
                    && inService.stream().allMatch(i -> healthy.contains(i.instanceId()));
        });
        return group(group).instances();
    }

    private List<Instance> awaitInService(String group, int count) {
        await(group + " has exactly " + count + " instances, all InService", QUICK, () -> group(group).instances().size() == count
                && instances(group).allMatch(i -> i.lifecycleState() == LifecycleState.IN_SERVICE));
        return group(group).instances();
    }

    private void setCapacity(String group, int min, int max, int desired) {
        fixture.autoScaling.updateAutoScalingGroup(r -> r.autoScalingGroupName(group).minSize(min).maxSize(max)
                .desiredCapacity(desired));
    }

    private void setFault(String instanceId, String fault, boolean failing) {
        assertThat(fixture.admin("PUT", "/instances/" + instanceId + "/" + fault, "{\"failing\": " + failing + "}")
                .statusCode()).isEqualTo(200);
    }

    private AutoScalingGroup group(String name) {
        return fixture.autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames(name)).autoScalingGroups().get(0);
    }

    private java.util.stream.Stream<Instance> instances(String group) {
        return group(group).instances().stream();
    }

    private Instance instance(String group, String id) {
        return instances(group).filter(i -> i.instanceId().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError(id + " is not in " + group));
    }

    private LifecycleState lifecycle(String group, String id) {
        return instance(group, id).lifecycleState();
    }

    private List<Activity> activities(String group) {
        return fixture.autoScaling.describeScalingActivitiesPaginator(r -> r.autoScalingGroupName(group)).activities()
                .stream().toList();
    }

    private List<TargetHealthDescription> targets(String targetGroupName) {
        return fixture.elb.describeTargetHealth(r -> r.targetGroupArn(targetGroupArn(targetGroupName)))
                .targetHealthDescriptions();
    }

    private String targetGroupArn(String name) {
        return fixture.elb.describeTargetGroups(r -> r.names(name)).targetGroups().get(0).targetGroupArn();
    }

    private String loadBalancerArn() {
        return fixture.elb.describeLoadBalancers(r -> r.names("shop")).loadBalancers().get(0).loadBalancerArn();
    }

    private List<String> versionsServed(URI url, int requests) {
        return served(url, requests, "X-App-Version");
    }

    private List<String> instancesServing(URI url, int requests) {
        return served(url, requests, "X-Instance-Id");
    }

    private List<String> served(URI url, int requests, String header) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = fixture.get(url.resolve("/orders"));
            assertThat(response.statusCode()).as("listener answer " + response.body()).isEqualTo(200);
            values.add(response.headers().firstValue(header).orElse("(none)"));
        }
        return values;
    }
}
