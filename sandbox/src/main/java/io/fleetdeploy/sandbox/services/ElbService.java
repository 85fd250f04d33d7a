package io.fleetdeploy.sandbox.services;

import io.fleetdeploy.sandbox.SandboxConfig;
import io.fleetdeploy.sandbox.aws.AwsApi;
import io.fleetdeploy.sandbox.aws.AwsServiceError;
import io.fleetdeploy.sandbox.aws.CallContext;
import io.fleetdeploy.sandbox.runtime.HealthCheckSettings;
import io.fleetdeploy.sandbox.runtime.ListenerProxy;
import io.fleetdeploy.sandbox.runtime.RuntimeIo;
import io.fleetdeploy.sandbox.runtime.TargetGroupHealth;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Action;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ActionTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.AvailabilityZone;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DeregisterTargetsRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DeregisterTargetsResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeListenersRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeListenersResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeLoadBalancersRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeLoadBalancersResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeRulesRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeRulesResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupAttributesRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupAttributesResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupsRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetGroupsResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetHealthRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetHealthResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ForwardActionConfig;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancer;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerSchemeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerState;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerStateEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ModifyListenerRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ModifyListenerResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ModifyRuleRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ModifyRuleResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ProtocolEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.RegisterTargetsRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.RegisterTargetsResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Rule;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupAttribute;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupTuple;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealth;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetTypeEnum;

/**
 * Elastic Load Balancing v2: application load balancers whose listeners are real reverse proxies
 * and whose target groups really health-check and drain their instances. A target group that no
 * listener forwards to reports its targets {@code unused} (Target.NotInUse), as AWS does.
 */
public final class ElbService implements AwsApi.Handler, AutoCloseable {

    private static final String VPC = "vpc-0fleet0sandbox000";

    private final Machines machines;
    private final RuntimeIo io;
    private final String arnPrefix;
    private final Ids ids = new Ids();
    private final Map<String, TargetGroupEntry> targetGroups = new LinkedHashMap<>();
    private final Map<String, LoadBalancer> loadBalancers = new LinkedHashMap<>();
    private final Map<String, ListenerEntry> listeners = new LinkedHashMap<>();

    /** A target group: its AWS description, its real health checker and the ports targets registered with. */
    private static final class TargetGroupEntry {
        final TargetGroup model;
        final TargetGroupHealth health;
        final SandboxConfig.TargetGroup spec;
        final Map<String, Integer> ports = new LinkedHashMap<>();

        TargetGroupEntry(TargetGroup model, TargetGroupHealth health, SandboxConfig.TargetGroup spec) {
            this.model = model;
            this.health = health;
            this.spec = spec;
        }
    }

    /** A listener: its AWS description (replaced on ModifyListener/ModifyRule) and its proxy. */
    private static final class ListenerEntry {
        volatile Listener model;
        final String defaultRuleArn;
        ListenerProxy proxy;

        ListenerEntry(Listener model, String defaultRuleArn) {
            this.model = model;
            this.defaultRuleArn = defaultRuleArn;
        }
    }

    public ElbService(SandboxConfig config, Machines machines, RuntimeIo io, Clock clock) {
        this.io = io;
        this.machines = machines;
        this.arnPrefix = "arn:aws:elasticloadbalancing:" + config.region() + ":" + config.accountId() + ":";
        for (SandboxConfig.TargetGroup spec : config.targetGroups()) {
            String arn = arnPrefix + "targetgroup/" + spec.name() + "/" + ids.hex(16);
            TargetGroup model = TargetGroup.builder()
                    .targetGroupArn(arn).targetGroupName(spec.name())
                    .protocol(ProtocolEnum.HTTP).port(spec.port()).vpcId(VPC)
                    .healthCheckProtocol(ProtocolEnum.HTTP).healthCheckPort("traffic-port").healthCheckEnabled(true)
                    .healthCheckIntervalSeconds(seconds(spec.healthCheckInterval().toMillis()))
                    .healthCheckTimeoutSeconds(seconds(spec.healthCheckTimeout().toMillis()))
                    .healthyThresholdCount(spec.healthyThreshold()).unhealthyThresholdCount(spec.unhealthyThreshold())
                    .healthCheckPath(spec.healthCheckPath())
                    .matcher(m -> m.httpCode("200"))
                    .targetType(TargetTypeEnum.INSTANCE).protocolVersion("HTTP1").ipAddressType("ipv4")
                    .build();
            TargetGroupHealth health = new TargetGroupHealth(spec.name(), new HealthCheckSettings(spec.healthCheckPath(),
                    spec.healthCheckInterval(), spec.healthCheckTimeout(), spec.healthyThreshold(),
                    spec.unhealthyThreshold(), spec.deregistrationDelay()), io);
            targetGroups.put(arn, new TargetGroupEntry(model, health, spec));
        }
        for (SandboxConfig.LoadBalancer spec : config.loadBalancers()) {
            String id = ids.hex(16);
            String arn = arnPrefix + "loadbalancer/app/" + spec.name() + "/" + id;
            loadBalancers.put(arn, LoadBalancer.builder()
                    .loadBalancerArn(arn).loadBalancerName(spec.name())
                    .dnsName(spec.name() + "-" + ids.hex(8) + "." + config.region() + ".elb.localhost")
                    .canonicalHostedZoneId("Z35SXDOTRQ7X7K").createdTime(clock.instant())
                    .scheme(LoadBalancerSchemeEnum.INTERNET_FACING).vpcId(VPC)
                    .state(LoadBalancerState.builder().code(LoadBalancerStateEnum.ACTIVE).build())
                    .type(LoadBalancerTypeEnum.APPLICATION).ipAddressType("ipv4")
                    .availabilityZones(AvailabilityZone.builder().zoneName(config.region() + "a").subnetId("subnet-0a").build(),
                            AvailabilityZone.builder().zoneName(config.region() + "b").subnetId("subnet-0b").build())
                    .build());
            for (SandboxConfig.Listener listenerSpec : spec.listeners()) {
                String listenerId = ids.hex(16);
                String listenerArn = arnPrefix + "listener/app/" + spec.name() + "/" + id + "/" + listenerId;
                List<TargetGroupTuple> tuples = listenerSpec.forwards().stream()
                        .map(f -> TargetGroupTuple.builder().targetGroupArn(arnOf(f.targetGroup())).weight(f.weight()).build())
                        .toList();
                Listener model = Listener.builder().listenerArn(listenerArn).loadBalancerArn(arn)
                        .port(listenerSpec.port()).protocol(ProtocolEnum.HTTP)
                        .defaultActions(forward(tuples)).build();
                listeners.put(listenerArn, new ListenerEntry(model, arnPrefix + "listener-rule/app/" + spec.name() + "/"
                        + id + "/" + listenerId + "/" + ids.hex(16)));
            }
        }
    }

    /** Opens every listener's proxy on its own loopback port. */
    public void start() {
        for (ListenerEntry listener : listeners.values()) {
            listener.proxy = new ListenerProxy(() -> routes(listener), io);
            listener.proxy.start();
        }
    }

    @Override
    public AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
        return switch (action) {
            case "DescribeLoadBalancers" -> describeLoadBalancers((DescribeLoadBalancersRequest) request);
            case "DescribeTargetGroups" -> describeTargetGroups((DescribeTargetGroupsRequest) request);
            case "DescribeTargetGroupAttributes" -> describeTargetGroupAttributes((DescribeTargetGroupAttributesRequest) request);
            case "DescribeTargetHealth" -> describeTargetHealth((DescribeTargetHealthRequest) request);
            case "RegisterTargets" -> registerTargets((RegisterTargetsRequest) request);
            case "DeregisterTargets" -> deregisterTargets((DeregisterTargetsRequest) request);
            case "DescribeListeners" -> describeListeners((DescribeListenersRequest) request);
            case "ModifyListener" -> modifyListener((ModifyListenerRequest) request);
            case "DescribeRules" -> describeRules((DescribeRulesRequest) request);
            case "ModifyRule" -> modifyRule((ModifyRuleRequest) request);
            default -> throw new AwsServiceError(400, "InvalidAction",
                    "The action " + action + " is not valid for this web service (the sandbox does not answer it).");
        };
    }

    // ---- what Auto Scaling and the façade call ----

    /** The ARN of a configured target group, by name. */
    public synchronized String arnOf(String targetGroupName) {
        return targetGroups.values().stream().filter(t -> t.spec.name().equals(targetGroupName))
                .map(t -> t.model.targetGroupArn()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no target group " + targetGroupName));
    }

    /** Registers an instance as a target (as Auto Scaling does for its InService instances). */
    public synchronized void register(String targetGroupArn, Machine machine) {
        TargetGroupEntry entry = targetGroups.get(targetGroupArn);
        if (entry != null) {
            entry.ports.put(machine.id(), entry.spec.port());
            entry.health.register(machine.id(), machine.host().endpoint());
        }
    }

    /** Deregisters an instance: it drains, then becomes unused. */
    public synchronized void deregister(String targetGroupArn, String instanceId) {
        TargetGroupEntry entry = targetGroups.get(targetGroupArn);
        if (entry != null && entry.ports.remove(instanceId) != null) {
            entry.health.deregister(instanceId);
        }
    }

    /** The target's state as the health checker sees it (empty when not registered or done draining). */
    public Optional<String> targetState(String targetGroupArn, String instanceId) {
        TargetGroupEntry entry;
        synchronized (this) {
            entry = targetGroups.get(targetGroupArn);
        }
        if (entry == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(entry.health.states().get(instanceId)).map(TargetGroupHealth.TargetState::state)
                .filter(state -> !"unused".equals(state));
    }

    /** Each listener's URL, keyed "loadBalancerName:port". */
    public synchronized Map<String, URI> listenerUrls() {
        Map<String, URI> urls = new LinkedHashMap<>();
        for (ListenerEntry listener : listeners.values()) {
            String name = loadBalancers.get(listener.model.loadBalancerArn()).loadBalancerName();
            if (listener.proxy != null) {
                urls.put(name + ":" + listener.model.port(), listener.proxy.endpoint());
            }
        }
        return urls;
    }

    @Override
    public void close() {
        List<AutoCloseable> closing = new ArrayList<>();
        synchronized (this) {
            listeners.values().stream().map(l -> l.proxy).filter(p -> p != null).forEach(closing::add);
            targetGroups.values().forEach(t -> closing.add(t.health));
        }
        for (AutoCloseable each : closing) {
            try {
                each.close();
            } catch (Exception e) {
                // closing the rest matters more than one that failed to close
            }
        }
    }

    // ---- actions ----

    private synchronized DescribeLoadBalancersResponse describeLoadBalancers(DescribeLoadBalancersRequest request)
            throws AwsServiceError {
        List<LoadBalancer> selected = new ArrayList<>(loadBalancers.values());
        if (request.hasLoadBalancerArns()) {
            selected = pick(selected, request.loadBalancerArns(), LoadBalancer::loadBalancerArn, "LoadBalancerNotFound",
                    "One or more load balancers not found");
        }
        if (request.hasNames()) {
            selected = pick(selected, request.names(), LoadBalancer::loadBalancerName, "LoadBalancerNotFound",
                    "One or more load balancers not found");
        }
        Page<LoadBalancer> page = Page.of(selected, request.marker(), request.pageSize(), 400, 1, 400, "ValidationError");
        return DescribeLoadBalancersResponse.builder().loadBalancers(page.items()).nextMarker(page.nextToken()).build();
    }

    private synchronized DescribeTargetGroupsResponse describeTargetGroups(DescribeTargetGroupsRequest request)
            throws AwsServiceError {
        List<TargetGroup> selected = targetGroups.values().stream().map(t -> withLoadBalancers(t.model)).toList();
        if (request.loadBalancerArn() != null) {
            if (!loadBalancers.containsKey(request.loadBalancerArn())) {
                throw new AwsServiceError(400, "LoadBalancerNotFound",
                        "Load balancer '" + request.loadBalancerArn() + "' not found");
            }
            selected = selected.stream().filter(t -> t.loadBalancerArns().contains(request.loadBalancerArn())).toList();
        }
        if (request.hasTargetGroupArns()) {
            selected = pick(selected, request.targetGroupArns(), TargetGroup::targetGroupArn, "TargetGroupNotFound",
                    "One or more target groups not found");
        }
        if (request.hasNames()) {
            selected = pick(selected, request.names(), TargetGroup::targetGroupName, "TargetGroupNotFound",
                    "One or more target groups not found");
        }
        Page<TargetGroup> page = Page.of(selected, request.marker(), request.pageSize(), 400, 1, 400, "ValidationError");
        return DescribeTargetGroupsResponse.builder().targetGroups(page.items()).nextMarker(page.nextToken()).build();
    }

    private synchronized DescribeTargetGroupAttributesResponse describeTargetGroupAttributes(
            DescribeTargetGroupAttributesRequest request) throws AwsServiceError {
        TargetGroupEntry entry = targetGroup(request.targetGroupArn());
        return DescribeTargetGroupAttributesResponse.builder().attributes(
                attribute("deregistration_delay.timeout_seconds", String.valueOf(seconds(entry.spec.deregistrationDelay().toMillis()))),
                attribute("stickiness.enabled", "false"),
                attribute("load_balancing.algorithm.type", "weighted_random"),
                attribute("slow_start.duration_seconds", "0")).build();
    }

    private DescribeTargetHealthResponse describeTargetHealth(DescribeTargetHealthRequest request) throws AwsServiceError {
        TargetGroupEntry entry;
        Map<String, Integer> ports;
        boolean inUse;
        synchronized (this) {
            entry = targetGroup(request.targetGroupArn());
            ports = new LinkedHashMap<>(entry.ports);
            inUse = !withLoadBalancers(entry.model).loadBalancerArns().isEmpty();
        }
        Map<String, TargetGroupHealth.TargetState> states = entry.health.states();
        List<TargetHealthDescription> descriptions = new ArrayList<>();
        if (request.hasTargets()) {
            List<String> invalid = request.targets().stream().map(TargetDescription::id)
                    .filter(id -> machines.find(id).isEmpty()).toList();
            if (!invalid.isEmpty()) {
                throw new AwsServiceError(400, "InvalidTarget", "The following targets are not valid instances: '"
                        + String.join("', '", invalid) + "'");
            }
            for (TargetDescription target : request.targets()) {
                TargetGroupHealth.TargetState state = states.get(target.id());
                int port = target.port() != null ? target.port() : ports.getOrDefault(target.id(), entry.spec.port());
                descriptions.add(state == null || "unused".equals(state.state())
                        ? description(target.id(), port, "unused", "Target.NotRegistered",
                                "Target is not registered to the target group")
                        : describe(target.id(), port, state, inUse));
            }
        } else {
            Set<String> listed = new LinkedHashSet<>(ports.keySet());
            // A deregistered target is still listed while it drains.
            states.forEach((id, state) -> {
                if ("draining".equals(state.state())) {
                    listed.add(id);
                }
            });
            for (String id : listed) {
                TargetGroupHealth.TargetState state = states.get(id);
                if (state != null && !"unused".equals(state.state())) {
                    descriptions.add(describe(id, ports.getOrDefault(id, entry.spec.port()), state, inUse));
                }
            }
        }
        return DescribeTargetHealthResponse.builder().targetHealthDescriptions(descriptions).build();
    }

    private synchronized RegisterTargetsResponse registerTargets(RegisterTargetsRequest request) throws AwsServiceError {
        TargetGroupEntry entry = targetGroup(request.targetGroupArn());
        if (!request.hasTargets() || request.targets().isEmpty()) {
            throw AwsServiceError.validation("At least one target must be specified");
        }
        List<Machine> registering = new ArrayList<>();
        List<String> notRunning = new ArrayList<>();
        for (TargetDescription target : request.targets()) {
            Optional<Machine> machine = machines.find(target.id());
            if (machine.isEmpty() || !machine.get().running()) {
                notRunning.add(target.id());
            } else {
                registering.add(machine.get());
            }
        }
        if (!notRunning.isEmpty()) {
            throw new AwsServiceError(400, "InvalidTarget", "The following targets are not in a running state and cannot"
                    + " be registered: '" + String.join("', '", notRunning) + "'");
        }
        for (int i = 0; i < registering.size(); i++) {
            Machine machine = registering.get(i);
            Integer port = request.targets().get(i).port();
            entry.ports.put(machine.id(), port != null ? port : entry.spec.port());
            entry.health.register(machine.id(), machine.host().endpoint());
        }
        return RegisterTargetsResponse.builder().build();
    }

    private synchronized DeregisterTargetsResponse deregisterTargets(DeregisterTargetsRequest request)
            throws AwsServiceError {
        TargetGroupEntry entry = targetGroup(request.targetGroupArn());
        if (!request.hasTargets() || request.targets().isEmpty()) {
            throw AwsServiceError.validation("At least one target must be specified");
        }
        List<String> unknown = request.targets().stream().map(TargetDescription::id)
                .filter(id -> machines.find(id).isEmpty()).toList();
        if (!unknown.isEmpty()) {
            throw new AwsServiceError(400, "InvalidTarget", "The following targets are not valid instances: '"
                    + String.join("', '", unknown) + "'");
        }
        for (TargetDescription target : request.targets()) {
            deregister(entry.model.targetGroupArn(), target.id());
        }
        return DeregisterTargetsResponse.builder().build();
    }

    private synchronized DescribeListenersResponse describeListeners(DescribeListenersRequest request)
            throws AwsServiceError {
        if (request.loadBalancerArn() == null && !request.hasListenerArns()) {
            throw AwsServiceError.validation("You must specify either listener ARNs or a load balancer ARN");
        }
        List<Listener> selected = listeners.values().stream().map(l -> l.model).toList();
        if (request.loadBalancerArn() != null) {
            if (!loadBalancers.containsKey(request.loadBalancerArn())) {
                throw new AwsServiceError(400, "LoadBalancerNotFound",
                        "Load balancer '" + request.loadBalancerArn() + "' not found");
            }
            selected = selected.stream().filter(l -> l.loadBalancerArn().equals(request.loadBalancerArn())).toList();
        }
        if (request.hasListenerArns()) {
            selected = pick(selected, request.listenerArns(), Listener::listenerArn, "ListenerNotFound",
                    "One or more listeners not found");
        }
        Page<Listener> page = Page.of(selected, request.marker(), request.pageSize(), 400, 1, 400, "ValidationError");
        return DescribeListenersResponse.builder().listeners(page.items()).nextMarker(page.nextToken()).build();
    }

    private synchronized ModifyListenerResponse modifyListener(ModifyListenerRequest request) throws AwsServiceError {
        ListenerEntry listener = listeners.get(request.listenerArn());
        if (listener == null) {
            throw new AwsServiceError(400, "ListenerNotFound", "One or more listeners not found");
        }
        if (request.port() != null && !request.port().equals(listener.model.port())) {
            throw AwsServiceError.validation("The sandbox cannot move a listener to another port; the listener keeps port "
                    + listener.model.port() + ". Change only its default actions.");
        }
        if (request.protocol() != null && request.protocol() != ProtocolEnum.HTTP) {
            throw new AwsServiceError(400, "UnsupportedProtocol", "The sandbox's listeners speak HTTP only.");
        }
        if (request.hasDefaultActions()) {
            listener.model = listener.model.toBuilder().defaultActions(normalise(request.defaultActions(), "DefaultActions")).build();
        }
        return ModifyListenerResponse.builder().listeners(listener.model).build();
    }

    private synchronized DescribeRulesResponse describeRules(DescribeRulesRequest request) throws AwsServiceError {
        List<Rule> selected;
        if (request.listenerArn() != null) {
            ListenerEntry listener = listeners.get(request.listenerArn());
            if (listener == null) {
                throw new AwsServiceError(400, "ListenerNotFound", "One or more listeners not found");
            }
            selected = List.of(defaultRule(listener));
        } else if (request.hasRuleArns()) {
            List<Rule> all = listeners.values().stream().map(this::defaultRule).toList();
            selected = pick(all, request.ruleArns(), Rule::ruleArn, "RuleNotFound", "One or more rules not found");
        } else {
            throw AwsServiceError.validation("You must specify either listener or rule ARNs");
        }
        Page<Rule> page = Page.of(selected, request.marker(), request.pageSize(), 400, 1, 400, "ValidationError");
        return DescribeRulesResponse.builder().rules(page.items()).nextMarker(page.nextToken()).build();
    }

    private synchronized ModifyRuleResponse modifyRule(ModifyRuleRequest request) throws AwsServiceError {
        ListenerEntry listener = listeners.values().stream().filter(l -> l.defaultRuleArn.equals(request.ruleArn()))
                .findFirst().orElseThrow(() -> new AwsServiceError(400, "RuleNotFound", "One or more rules not found"));
        if (request.hasConditions() && !request.conditions().isEmpty()) {
            throw new AwsServiceError(400, "OperationNotPermitted", "Conditions cannot be set on the default rule");
        }
        if (request.hasActions()) {
            listener.model = listener.model.toBuilder().defaultActions(normalise(request.actions(), "Actions")).build();
        }
        return ModifyRuleResponse.builder().rules(defaultRule(listener)).build();
    }

    // ---- helpers ----

    private List<ListenerProxy.WeightedGroup> routes(ListenerEntry listener) {
        List<ListenerProxy.WeightedGroup> groups = new ArrayList<>();
        for (Action action : listener.model.defaultActions()) {
            for (TargetGroupTuple tuple : action.forwardConfig().targetGroups()) {
                TargetGroupEntry entry;
                synchronized (this) {
                    entry = targetGroups.get(tuple.targetGroupArn());
                }
                if (entry != null) {
                    groups.add(new ListenerProxy.WeightedGroup(tuple.weight() == null ? 1 : tuple.weight(), entry.health));
                }
            }
        }
        return groups;
    }

    /** AWS answers a forward to one group with both TargetGroupArn and a ForwardConfig of weight 1. */
    private List<Action> normalise(List<Action> actions, String field) throws AwsServiceError {
        if (actions.size() != 1) {
            throw new AwsServiceError(400, actions.isEmpty() ? "ValidationError" : "TooManyActions",
                    field + " must hold exactly one forward action in the sandbox");
        }
        Action action = actions.get(0);
        if (action.type() != ActionTypeEnum.FORWARD) {
            throw new AwsServiceError(400, "InvalidLoadBalancerAction", "The sandbox's listeners support only forward"
                    + " actions, not '" + action.typeAsString() + "'");
        }
        List<TargetGroupTuple> tuples = new ArrayList<>();
        if (action.forwardConfig() != null && action.forwardConfig().hasTargetGroups()) {
            tuples.addAll(action.forwardConfig().targetGroups());
        }
        if (action.targetGroupArn() != null) {
            if (tuples.isEmpty()) {
                tuples.add(TargetGroupTuple.builder().targetGroupArn(action.targetGroupArn()).weight(1).build());
            } else if (tuples.size() != 1 || !tuples.get(0).targetGroupArn().equals(action.targetGroupArn())) {
                throw AwsServiceError.validation("You cannot specify both a TargetGroupArn and a ForwardConfig with"
                        + " other target groups");
            }
        }
        if (tuples.isEmpty()) {
            throw AwsServiceError.validation("A forward action needs a TargetGroupArn or ForwardConfig.TargetGroups");
        }
        Set<String> seen = new LinkedHashSet<>();
        List<TargetGroupTuple> normalised = new ArrayList<>();
        for (TargetGroupTuple tuple : tuples) {
            if (!targetGroups.containsKey(tuple.targetGroupArn())) {
                throw new AwsServiceError(400, "TargetGroupNotFound",
                        "Target group '" + tuple.targetGroupArn() + "' not found");
            }
            int weight = tuple.weight() == null ? 1 : tuple.weight();
            if (weight < 0 || weight > 999) {
                throw AwsServiceError.validation("Target group weight " + weight + " is not between 0 and 999");
            }
            if (!seen.add(tuple.targetGroupArn())) {
                throw AwsServiceError.validation("Target group '" + tuple.targetGroupArn() + "' is listed twice");
            }
            normalised.add(TargetGroupTuple.builder().targetGroupArn(tuple.targetGroupArn()).weight(weight).build());
        }
        if (normalised.stream().allMatch(t -> t.weight() == 0)) {
            throw AwsServiceError.validation("At least one target group weight must be greater than 0");
        }
        return List.of(forward(normalised));
    }

    private static Action forward(List<TargetGroupTuple> tuples) {
        Action.Builder action = Action.builder().type(ActionTypeEnum.FORWARD).order(1)
                .forwardConfig(ForwardActionConfig.builder().targetGroups(tuples)
                        .targetGroupStickinessConfig(s -> s.enabled(false)).build());
        if (tuples.size() == 1) {
            action.targetGroupArn(tuples.get(0).targetGroupArn());
        }
        return action.build();
    }

    private Rule defaultRule(ListenerEntry listener) {
        return Rule.builder().ruleArn(listener.defaultRuleArn).priority("default").isDefault(true)
                .conditions(List.of()).actions(listener.model.defaultActions()).build();
    }

    private TargetGroup withLoadBalancers(TargetGroup model) {
        Set<String> arns = new LinkedHashSet<>();
        for (ListenerEntry listener : listeners.values()) {
            for (Action action : listener.model.defaultActions()) {
                if (action.forwardConfig().targetGroups().stream()
                        .anyMatch(t -> t.targetGroupArn().equals(model.targetGroupArn()))) {
                    arns.add(listener.model.loadBalancerArn());
                }
            }
        }
        return model.toBuilder().loadBalancerArns(List.copyOf(arns)).build();
    }

    private TargetGroupEntry targetGroup(String arn) throws AwsServiceError {
        if (arn == null) {
            throw AwsServiceError.validation("TargetGroupArn is required");
        }
        TargetGroupEntry entry = targetGroups.get(arn);
        if (entry == null) {
            throw new AwsServiceError(400, "TargetGroupNotFound", "Target groups '" + arn + "' not found");
        }
        return entry;
    }

    private static TargetHealthDescription describe(String id, int port, TargetGroupHealth.TargetState state, boolean inUse) {
        if (!inUse && !"draining".equals(state.state())) {
            return description(id, port, "unused", "Target.NotInUse",
                    "Target group is not configured to receive traffic from the load balancer");
        }
        return description(id, port, state.state(), state.reasonCode(), state.description());
    }

    private static TargetHealthDescription description(String id, int port, String state, String reason, String text) {
        TargetHealth.Builder health = TargetHealth.builder().state(state);
        if (reason != null && !"healthy".equals(state)) {
            health.reason(reason).description(text);
        }
        return TargetHealthDescription.builder()
                .target(TargetDescription.builder().id(id).port(port).build())
                .healthCheckPort(String.valueOf(port))
                .targetHealth(health.build()).build();
    }

    private static TargetGroupAttribute attribute(String key, String value) {
        return TargetGroupAttribute.builder().key(key).value(value).build();
    }

    private static int seconds(long millis) {
        return (int) Math.max(1, (millis + 999) / 1000);
    }

    private static <T> List<T> pick(List<T> from, List<String> wanted, java.util.function.Function<T, String> key,
            String errorCode, String message) throws AwsServiceError {
        List<T> picked = new ArrayList<>();
        for (String name : wanted) {
            T found = from.stream().filter(t -> key.apply(t).equals(name)).findFirst()
                    .orElseThrow(() -> new AwsServiceError(400, errorCode, message + ": '" + name + "'"));
            picked.add(found);
        }
        return picked;
    }
}
