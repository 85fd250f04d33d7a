package io.fleetdeploy.cli.demo;

import io.fleetdeploy.sandbox.services.Machine;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Action;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupTuple;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;

/**
 * The state the fleet is left in after a run, read through the AWS APIs (and S3 for leases): no
 * instance in Standby, no suspended process, every group at the capacity it should have, the
 * listener's traffic only on target groups whose targets are all healthy, the database's schema key
 * that of the code those targets run, and no lease left.
 */
public record FinalState(List<Check> checks) {

    public record Check(String what, boolean ok, String detail) {
    }

    public boolean ok() {
        return checks.stream().allMatch(Check::ok);
    }

    /**
     * @param expectedCapacity what each group's desired capacity must be now
     * @param retired          whether a group expected at 0 was retired by a succeeded drainGroup scaleToZero
     */
    static FinalState read(DemoCloud cloud, Strategy strategy, Map<String, Integer> expectedCapacity, boolean retired,
                           Optional<String> databaseKey, Map<String, String> keyOfVersion) {
        List<Check> checks = new ArrayList<>();
        Set<String> inService = new HashSet<>();
        for (String name : strategy.groups()) {
            AutoScalingGroup group = cloud.autoScaling().describeAutoScalingGroups(r -> r.autoScalingGroupNames(name))
                    .autoScalingGroups().get(0);
            List<String> standby = group.instances().stream().filter(i -> i.lifecycleStateAsString().startsWith("Standby"))
                    .map(Instance::instanceId).toList();
            checks.add(new Check(name + ": no instance in Standby", standby.isEmpty(),
                    standby.isEmpty() ? "none" : String.join(", ", standby)));
            List<String> suspended = group.suspendedProcesses().stream().map(p -> p.processName()).toList();
            int expected = expectedCapacity.get(name);
            if (expected == 0 && retired) {
                // drainGroup scaleToZero keeps the retired group's scaling processes suspended (so nothing relaunches it)
                // until `drain --restore` brings it back: that is its documented final state, not something left behind.
                checks.add(new Check(name + ": retired by drainGroup (restorable)", true,
                        suspended.isEmpty() ? "no suspended process" : "suspended until restore: " + String.join(", ", suspended)));
            } else {
                checks.add(new Check(name + ": no suspended process", suspended.isEmpty(),
                        suspended.isEmpty() ? "none" : String.join(", ", suspended)));
            }
            List<String> inServiceIds = group.instances().stream().filter(i -> "InService".equals(i.lifecycleStateAsString()))
                    .map(Instance::instanceId).toList();
            inService.addAll(inServiceIds);
            checks.add(new Check(name + ": capacity " + expected, group.desiredCapacity() == expected && inServiceIds.size() == expected,
                    "desired " + group.desiredCapacity() + ", InService " + inServiceIds.size()));
        }
        List<String> servingTargetGroups = new ArrayList<>();
        checks.add(trafficCheck(cloud, strategy, servingTargetGroups));
        checks.add(schemaKeyCheck(cloud, servingTargetGroups, inService, databaseKey, keyOfVersion));
        String leases = cloud.layout(strategy.app()).leaseKey("x");
        String leasePrefix = leases.substring(0, leases.length() - "x.json".length());
        List<String> held = cloud.s3().listObjectsV2(r -> r.bucket(cloud.sandbox().bucket()).prefix(leasePrefix))
                .contents().stream().map(o -> o.key()).toList();
        checks.add(new Check("no lease left", held.isEmpty(), held.isEmpty() ? "none" : String.join(", ", held)));
        return new FinalState(List.copyOf(checks));
    }

    /**
     * The database's key is the key of the code the listener's InService instances run: a deploy that stopped put its
     * key back, one that finished left the new one (the demo's target groups are named after their groups).
     */
    private static Check schemaKeyCheck(DemoCloud cloud, List<String> servingGroups, Set<String> inService,
                                        Optional<String> databaseKey, Map<String, String> keyOfVersion) {
        Map<String, Long> versions = new TreeMap<>();
        for (Machine machine : cloud.sandbox().instances()) {
            if (servingGroups.contains(machine.tags().get("aws:autoscaling:groupName")) && inService.contains(machine.id())) {
                String version = machine.running() ? machine.host().currentVersion().orElse("none") : "none";
                versions.merge(version, 1L, Long::sum);
            }
        }
        String key = databaseKey.orElse("(unset)");
        List<String> others = versions.keySet().stream().filter(v -> !key.equals(keyOfVersion.get(v))).toList();
        String running = versions.entrySet().stream().map(e -> e.getValue() + " on " + e.getKey() + " (key "
                + keyOfVersion.getOrDefault(e.getKey(), "none") + ")").collect(Collectors.joining(", "));
        return new Check("schema key " + key + " is the serving code's", !versions.isEmpty() && others.isEmpty(),
                versions.isEmpty() ? "no InService instance behind the listener" : running);
    }

    private static Check trafficCheck(DemoCloud cloud, Strategy strategy, List<String> servingGroups) {
        String lbArn = cloud.elb().describeLoadBalancers(r -> r.names(strategy.loadBalancer())).loadBalancers().get(0).loadBalancerArn();
        Listener listener = cloud.elb().describeListeners(r -> r.loadBalancerArn(lbArn)).listeners().get(0);
        List<String> problems = new ArrayList<>();
        List<String> serving = new ArrayList<>();
        for (Action action : listener.defaultActions()) {
            List<String> arns = action.forwardConfig() != null
                    ? action.forwardConfig().targetGroups().stream().filter(t -> t.weight() == null || t.weight() > 0)
                            .map(TargetGroupTuple::targetGroupArn).toList()
                    : action.targetGroupArn() == null ? List.of() : List.of(action.targetGroupArn());
            for (String arn : arns) {
                List<TargetHealthDescription> targets = cloud.elb().describeTargetHealth(r -> r.targetGroupArn(arn))
                        .targetHealthDescriptions();
                long healthy = targets.stream().filter(t -> t.targetHealth().state() == TargetHealthStateEnum.HEALTHY).count();
                String name = arn.substring(arn.indexOf(":targetgroup/") + ":targetgroup/".length()).split("/")[0];
                serving.add(name + " " + healthy + "/" + targets.size() + " healthy");
                servingGroups.add(name);
                if (healthy == 0 || healthy != targets.size()) {
                    problems.add(name);
                }
            }
        }
        return new Check("traffic only on healthy targets", problems.isEmpty() && !serving.isEmpty(),
                serving.isEmpty() ? "the listener forwards nowhere" : String.join(", ", serving));
    }
}
