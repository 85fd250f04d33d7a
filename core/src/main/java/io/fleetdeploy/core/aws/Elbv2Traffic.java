package io.fleetdeploy.core.aws;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.fleet.FleetPorts;
import io.fleetdeploy.core.fleet.ForwardConfig;
import io.fleetdeploy.core.fleet.HealthCheck;
import io.fleetdeploy.core.fleet.TargetState;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Action;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ActionTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ForwardActionConfig;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ListenerNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.RuleNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupTuple;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;

/** The fleet operations' view of ELBv2 (target health, registration, listener and rule forward actions). */
public final class Elbv2Traffic implements FleetPorts.Traffic {

    private final ElasticLoadBalancingV2Client client;

    public Elbv2Traffic(ElasticLoadBalancingV2Client client) {
        this.client = client;
    }

    public static Elbv2Traffic of(AwsSettings settings) {
        return new Elbv2Traffic(AwsClients.configure(ElasticLoadBalancingV2Client.builder(), settings).build());
    }

    @Override
    public Optional<String> targetGroupArn(String nameOrArn) {
        try {
            var response = nameOrArn.startsWith("arn:")
                    ? client.describeTargetGroups(b -> b.targetGroupArns(nameOrArn))
                    : client.describeTargetGroups(b -> b.names(nameOrArn));
            return response.targetGroups().stream().map(t -> t.targetGroupArn()).findFirst();
        } catch (TargetGroupNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public Map<String, TargetState> targetHealth(String targetGroupArn) {
        Map<String, TargetState> states = new LinkedHashMap<>();
        for (TargetHealthDescription d : client.describeTargetHealth(b -> b.targetGroupArn(targetGroupArn)).targetHealthDescriptions()) {
            states.put(d.target().id(), new TargetState(d.targetHealth().stateAsString(), d.targetHealth().reasonAsString()));
        }
        return states;
    }

    @Override
    public Optional<HealthCheck> healthCheck(String targetGroupArn) {
        try {
            return client.describeTargetGroups(b -> b.targetGroupArns(targetGroupArn)).targetGroups().stream().findFirst()
                    .map(t -> new HealthCheck(Duration.ofSeconds(t.healthCheckIntervalSeconds()),
                            Duration.ofSeconds(t.healthCheckTimeoutSeconds()), t.unhealthyThresholdCount()));
        } catch (TargetGroupNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public void deregister(String targetGroupArn, List<String> instanceIds) {
        client.deregisterTargets(b -> b.targetGroupArn(targetGroupArn).targets(targets(instanceIds)));
    }

    @Override
    public void register(String targetGroupArn, List<String> instanceIds) {
        client.registerTargets(b -> b.targetGroupArn(targetGroupArn).targets(targets(instanceIds)));
    }

    private static List<TargetDescription> targets(List<String> ids) {
        return ids.stream().map(id -> TargetDescription.builder().id(id).build()).toList();
    }

    @Override
    public Optional<ForwardConfig> forward(String listenerOrRuleArn) {
        List<Action> actions;
        try {
            actions = isRule(listenerOrRuleArn)
                    ? client.describeRules(b -> b.ruleArns(listenerOrRuleArn)).rules().stream().findFirst().map(r -> r.actions()).orElse(null)
                    : client.describeListeners(b -> b.listenerArns(listenerOrRuleArn)).listeners().stream().findFirst()
                    .map(l -> l.defaultActions()).orElse(null);
        } catch (ListenerNotFoundException | RuleNotFoundException e) {
            return Optional.empty();
        }
        if (actions == null) {
            return Optional.empty();
        }
        if (actions.size() != 1 || actions.get(0).type() != ActionTypeEnum.FORWARD) {
            throw FleetDeployException.invalidInput("The actions of " + listenerOrRuleArn + " are not a single forward action ("
                            + actions.stream().map(Action::typeAsString).toList() + "); switchTraffic only moves forward actions, so it could not restore others exactly.",
                    "Switch a listener or rule whose action is 'forward'.");
        }
        Action action = actions.get(0);
        ForwardActionConfig config = action.forwardConfig();
        if (config == null || config.targetGroups().isEmpty()) {
            return Optional.of(ForwardConfig.single(action.targetGroupArn()));
        }
        var stickiness = config.targetGroupStickinessConfig();
        return Optional.of(new ForwardConfig(
                config.targetGroups().stream().map(t -> new ForwardConfig.WeightedTarget(t.targetGroupArn(), t.weight() == null ? 1 : t.weight())).toList(),
                false, stickiness == null ? null : stickiness.enabled(), stickiness == null ? null : stickiness.durationSeconds()));
    }

    @Override
    public void setForward(String listenerOrRuleArn, ForwardConfig forward) {
        Action action = toAction(forward);
        if (isRule(listenerOrRuleArn)) {
            client.modifyRule(b -> b.ruleArn(listenerOrRuleArn).actions(action));
        } else {
            client.modifyListener(b -> b.listenerArn(listenerOrRuleArn).defaultActions(action));
        }
    }

    static Action toAction(ForwardConfig forward) {
        Action.Builder action = Action.builder().type(ActionTypeEnum.FORWARD);
        if (forward.singleTarget()) {
            return action.targetGroupArn(forward.targets().get(0).targetGroupArn()).build();
        }
        ForwardActionConfig.Builder config = ForwardActionConfig.builder().targetGroups(forward.targets().stream()
                .map(t -> TargetGroupTuple.builder().targetGroupArn(t.targetGroupArn()).weight(t.weight()).build()).toList());
        if (forward.stickinessEnabled() != null) {
            config.targetGroupStickinessConfig(s -> s.enabled(forward.stickinessEnabled()).durationSeconds(forward.stickinessSeconds()));
        }
        return action.forwardConfig(config.build()).build();
    }

    private static boolean isRule(String arn) {
        return arn.contains(":listener-rule/");
    }
}
