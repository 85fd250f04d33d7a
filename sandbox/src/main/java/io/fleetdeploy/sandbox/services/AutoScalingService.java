package io.fleetdeploy.sandbox.services;

import io.fleetdeploy.sandbox.SandboxConfig;
import io.fleetdeploy.sandbox.aws.AwsApi;
import io.fleetdeploy.sandbox.aws.AwsServiceError;
import io.fleetdeploy.sandbox.aws.CallContext;
import io.fleetdeploy.sandbox.runtime.CommandExecution;
import io.fleetdeploy.sandbox.runtime.ShellRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.services.autoscaling.model.Activity;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingInstanceDetails;
import software.amazon.awssdk.services.autoscaling.model.CreateOrUpdateTagsRequest;
import software.amazon.awssdk.services.autoscaling.model.CreateOrUpdateTagsResponse;
import software.amazon.awssdk.services.autoscaling.model.DeleteTagsRequest;
import software.amazon.awssdk.services.autoscaling.model.DeleteTagsResponse;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsResponse;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingInstancesRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingInstancesResponse;
import software.amazon.awssdk.services.autoscaling.model.DescribeScalingActivitiesRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeScalingActivitiesResponse;
import software.amazon.awssdk.services.autoscaling.model.DescribeTagsRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeTagsResponse;
import software.amazon.awssdk.services.autoscaling.model.EnterStandbyRequest;
import software.amazon.awssdk.services.autoscaling.model.EnterStandbyResponse;
import software.amazon.awssdk.services.autoscaling.model.ExitStandbyRequest;
import software.amazon.awssdk.services.autoscaling.model.ExitStandbyResponse;
import software.amazon.awssdk.services.autoscaling.model.Filter;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.autoscaling.model.LaunchTemplateSpecification;
import software.amazon.awssdk.services.autoscaling.model.LifecycleState;
import software.amazon.awssdk.services.autoscaling.model.ResumeProcessesRequest;
import software.amazon.awssdk.services.autoscaling.model.ResumeProcessesResponse;
import software.amazon.awssdk.services.autoscaling.model.ScalingActivityStatusCode;
import software.amazon.awssdk.services.autoscaling.model.SetDesiredCapacityRequest;
import software.amazon.awssdk.services.autoscaling.model.SetDesiredCapacityResponse;
import software.amazon.awssdk.services.autoscaling.model.SetInstanceProtectionRequest;
import software.amazon.awssdk.services.autoscaling.model.SetInstanceProtectionResponse;
import software.amazon.awssdk.services.autoscaling.model.SuspendProcessesRequest;
import software.amazon.awssdk.services.autoscaling.model.SuspendProcessesResponse;
import software.amazon.awssdk.services.autoscaling.model.SuspendedProcess;
import software.amazon.awssdk.services.autoscaling.model.Tag;
import software.amazon.awssdk.services.autoscaling.model.TagDescription;
import software.amazon.awssdk.services.autoscaling.model.TerminateInstanceInAutoScalingGroupRequest;
import software.amazon.awssdk.services.autoscaling.model.TerminateInstanceInAutoScalingGroupResponse;
import software.amazon.awssdk.services.autoscaling.model.UpdateAutoScalingGroupRequest;
import software.amazon.awssdk.services.autoscaling.model.UpdateAutoScalingGroupResponse;

/**
 * EC2 Auto Scaling: groups that keep their desired capacity with real instances. A launched
 * instance boots (the configured delay), runs its user data (the agent installs the version its
 * group's channel pointer names), then goes InService and is registered with the group's target
 * groups. Standby and termination drain through the target groups first. Suspended processes stop
 * what they name; min/max are enforced as AWS enforces them.
 */
public final class AutoScalingService implements AwsApi.Handler, AutoCloseable {

    /** The processes AWS knows; the sandbox has no alarms or schedules, so those two only record their state. */
    public static final List<String> PROCESSES = List.of("Launch", "Terminate", "HealthCheck", "ReplaceUnhealthy",
            "AZRebalance", "AlarmNotification", "ScheduledActions", "AddToLoadBalancer", "InstanceRefresh");

    private static final Logger LOG = LoggerFactory.getLogger(AutoScalingService.class);
    private static final Duration USER_DATA_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration AGENT_POLL_TIMEOUT = Duration.ofMinutes(2);
    private static final String RESOURCE_TYPE = "auto-scaling-group";

    private final Machines machines;
    private final ElbService elb;
    private final ShellRunner shell;
    private final ReleasePointers pointers;
    private final InstanceEnvironment environment;
    private final Clock clock;
    private final Duration bootDelay;
    private final String arnPrefix;
    private final Ids ids = new Ids();
    private final Map<String, GroupState> groups = new LinkedHashMap<>();
    private final List<Activity> activities = new ArrayList<>();
    private final ScheduledExecutorService timers;

    /** A group: its AWS description (without instances) and its members. */
    private static final class GroupState {
        AutoScalingGroup model;
        final SandboxConfig.Group spec;
        final Map<String, Member> members = new LinkedHashMap<>();
        /** The instance AZRebalance launched and that does not count until it is InService. */
        String rebalancing;

        GroupState(AutoScalingGroup model, SandboxConfig.Group spec) {
            this.model = model;
            this.spec = spec;
        }

        boolean suspended(String process) {
            return model.suspendedProcesses().stream().anyMatch(p -> p.processName().equals(process));
        }
    }

    /** An instance of a group and where it is in its life. */
    private static final class Member {
        final Machine machine;
        Instance model;
        String activityId;
        CommandExecution userData;
        boolean booted;
        boolean userDataStarting;
        Instant inServiceSince;
        /** The pull timer's last run and when it fires next (null: not armed yet). */
        CommandExecution agentPoll;
        Instant nextAgentPoll;

        Member(Machine machine, Instance model) {
            this.machine = machine;
            this.model = model;
        }

        LifecycleState state() {
            return model.lifecycleState();
        }

        void state(LifecycleState state) {
            model = model.toBuilder().lifecycleState(state).build();
        }

        boolean counts() {
            return state() == LifecycleState.PENDING || state() == LifecycleState.IN_SERVICE;
        }
    }

    public AutoScalingService(SandboxConfig config, Machines machines, ElbService elb, ShellRunner shell,
            ReleasePointers pointers, InstanceEnvironment environment, Clock clock) {
        this.machines = machines;
        this.elb = elb;
        this.shell = shell;
        this.pointers = pointers;
        this.environment = environment;
        this.clock = clock;
        this.bootDelay = config.bootDelay();
        this.arnPrefix = "arn:aws:autoscaling:" + config.region() + ":" + config.accountId() + ":";
        for (SandboxConfig.Group spec : config.groups()) {
            groups.put(spec.name(), new GroupState(initialModel(config, spec), spec));
        }
        // Its own threads: user data reads S3 and must not hold up the runtime's health-check timers.
        this.timers = Executors.newScheduledThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "sandbox-autoscaling");
            thread.setDaemon(true);
            return thread;
        });
        timers.scheduleWithFixedDelay(this::tickSafely, 0, 100, TimeUnit.MILLISECONDS);
    }

    @Override
    public AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
        synchronized (this) {
            return switch (action) {
                case "DescribeAutoScalingGroups" -> describeGroups((DescribeAutoScalingGroupsRequest) request);
                case "DescribeAutoScalingInstances" -> describeInstances((DescribeAutoScalingInstancesRequest) request);
                case "UpdateAutoScalingGroup" -> update((UpdateAutoScalingGroupRequest) request);
                case "SetDesiredCapacity" -> setDesiredCapacity((SetDesiredCapacityRequest) request);
                case "EnterStandby" -> enterStandby((EnterStandbyRequest) request);
                case "ExitStandby" -> exitStandby((ExitStandbyRequest) request);
                case "SuspendProcesses" -> suspend((SuspendProcessesRequest) request);
                case "ResumeProcesses" -> resume((ResumeProcessesRequest) request);
                case "TerminateInstanceInAutoScalingGroup" -> terminate((TerminateInstanceInAutoScalingGroupRequest) request);
                case "SetInstanceProtection" -> protect((SetInstanceProtectionRequest) request);
                case "CreateOrUpdateTags" -> createOrUpdateTags((CreateOrUpdateTagsRequest) request);
                case "DeleteTags" -> deleteTags((DeleteTagsRequest) request);
                case "DescribeTags" -> describeTags((DescribeTagsRequest) request);
                case "DescribeScalingActivities" -> describeActivities((DescribeScalingActivitiesRequest) request);
                default -> throw new AwsServiceError(400, "InvalidAction",
                        "The action " + action + " is not valid for this web service (the sandbox does not answer it).");
            };
        }
    }

    /** The group's current instances (ids and lifecycle states), for the façade and the admin API. */
    public synchronized Map<String, String> instancesOf(String groupName) {
        Map<String, String> states = new LinkedHashMap<>();
        GroupState group = groups.get(groupName);
        if (group != null) {
            group.members.forEach((id, member) -> states.put(id, member.state().toString()));
        }
        return states;
    }

    public synchronized Set<String> groupNames() {
        return new LinkedHashSet<>(groups.keySet());
    }

    @Override
    public void close() {
        timers.shutdownNow();
    }

    // ---- Describe* ----

    private DescribeAutoScalingGroupsResponse describeGroups(DescribeAutoScalingGroupsRequest request) throws AwsServiceError {
        List<GroupState> selected = new ArrayList<>(groups.values());
        if (request.hasAutoScalingGroupNames()) {
            Set<String> names = new LinkedHashSet<>(request.autoScalingGroupNames());
            selected = selected.stream().filter(g -> names.contains(g.spec.name())).toList();
        }
        if (request.hasFilters()) {
            for (Filter filter : request.filters()) {
                selected = selected.stream().filter(matches(filter)).toList();
            }
        }
        Page<GroupState> page = Page.of(selected, request.nextToken(), request.maxRecords(), 50, 1, 100, "InvalidNextToken");
        return DescribeAutoScalingGroupsResponse.builder()
                .autoScalingGroups(page.items().stream().map(this::render).toList())
                .nextToken(page.nextToken()).build();
    }

    private Predicate<GroupState> matches(Filter filter) throws AwsServiceError {
        Set<String> values = new LinkedHashSet<>(filter.values());
        String name = filter.name() == null ? "" : filter.name();
        if (name.startsWith("tag:")) {
            String key = name.substring(4);
            return g -> g.model.tags().stream().anyMatch(t -> t.key().equals(key) && values.contains(t.value()));
        }
        return switch (name) {
            case "tag-key" -> g -> g.model.tags().stream().anyMatch(t -> values.contains(t.key()));
            case "tag-value" -> g -> g.model.tags().stream().anyMatch(t -> values.contains(t.value()));
            default -> throw AwsServiceError.validation("Filter name '" + name + "' is not valid;"
                    + " valid names are tag:<key>, tag-key and tag-value.");
        };
    }

    private DescribeAutoScalingInstancesResponse describeInstances(DescribeAutoScalingInstancesRequest request)
            throws AwsServiceError {
        Set<String> wanted = request.hasInstanceIds() ? new LinkedHashSet<>(request.instanceIds()) : null;
        if (wanted != null && wanted.size() > 50) {
            throw AwsServiceError.validation("The number of instance ids specified exceeds the limit of 50.");
        }
        List<AutoScalingInstanceDetails> details = new ArrayList<>();
        for (GroupState group : groups.values()) {
            for (Member member : group.members.values()) {
                if (wanted == null || wanted.contains(member.machine.id())) {
                    Instance i = member.model;
                    details.add(AutoScalingInstanceDetails.builder()
                            .instanceId(i.instanceId()).instanceType(i.instanceType())
                            .autoScalingGroupName(group.spec.name()).availabilityZone(i.availabilityZone())
                            .lifecycleState(i.lifecycleStateAsString())
                            // AWS spells health upper-case here and capitalised in DescribeAutoScalingGroups.
                            .healthStatus(i.healthStatus().toUpperCase())
                            .launchTemplate(i.launchTemplate()).protectedFromScaleIn(i.protectedFromScaleIn())
                            .build());
                }
            }
        }
        Page<AutoScalingInstanceDetails> page = Page.of(details, request.nextToken(), request.maxRecords(), 50, 1, 50,
                "InvalidNextToken");
        return DescribeAutoScalingInstancesResponse.builder().autoScalingInstances(page.items())
                .nextToken(page.nextToken()).build();
    }

    private DescribeScalingActivitiesResponse describeActivities(DescribeScalingActivitiesRequest request)
            throws AwsServiceError {
        if (request.autoScalingGroupName() != null) {
            group(request.autoScalingGroupName());
        }
        Set<String> ids = request.hasActivityIds() ? new LinkedHashSet<>(request.activityIds()) : null;
        List<Activity> selected = new ArrayList<>();
        for (int i = activities.size() - 1; i >= 0; i--) {
            Activity activity = activities.get(i);
            if ((request.autoScalingGroupName() == null || activity.autoScalingGroupName().equals(request.autoScalingGroupName()))
                    && (ids == null || ids.contains(activity.activityId()))) {
                selected.add(activity);
            }
        }
        Page<Activity> page = Page.of(selected, request.nextToken(), request.maxRecords(), 100, 1, 100, "InvalidNextToken");
        return DescribeScalingActivitiesResponse.builder().activities(page.items()).nextToken(page.nextToken()).build();
    }

    // ---- capacity ----

    private UpdateAutoScalingGroupResponse update(UpdateAutoScalingGroupRequest request) throws AwsServiceError {
        GroupState group = group(request.autoScalingGroupName());
        AutoScalingGroup current = group.model;
        int min = request.minSize() != null ? request.minSize() : current.minSize();
        int max = request.maxSize() != null ? request.maxSize() : current.maxSize();
        if (min < 0 || max < 0) {
            throw AwsServiceError.validation("MinSize and MaxSize must not be negative.");
        }
        if (min > max) {
            throw AwsServiceError.validation("Max bound, " + max + ", must be greater than or equal to min bound, " + min);
        }
        int desired;
        if (request.desiredCapacity() != null) {
            desired = request.desiredCapacity();
            if (desired < min || desired > max) {
                throw AwsServiceError.validation("Desired capacity:" + desired + " must be between the specified min size:"
                        + min + " and max size:" + max);
            }
        } else {
            // Without a desired capacity AWS moves the current one into the new bounds.
            desired = Math.max(min, Math.min(max, current.desiredCapacity()));
        }
        String healthCheckType = request.healthCheckType() != null ? request.healthCheckType() : current.healthCheckType();
        if (!healthCheckType.equals("EC2") && !healthCheckType.equals("ELB")) {
            throw AwsServiceError.validation("Health check type '" + healthCheckType + "' is not valid (EC2 or ELB).");
        }
        if (request.healthCheckGracePeriod() != null && request.healthCheckGracePeriod() < 0) {
            throw AwsServiceError.validation("HealthCheckGracePeriod must not be negative.");
        }
        AutoScalingGroup.Builder changed = current.toBuilder().minSize(min).maxSize(max).desiredCapacity(desired)
                .healthCheckType(healthCheckType);
        if (request.healthCheckGracePeriod() != null) {
            changed.healthCheckGracePeriod(request.healthCheckGracePeriod());
        }
        if (request.defaultCooldown() != null) {
            changed.defaultCooldown(request.defaultCooldown());
        }
        if (request.newInstancesProtectedFromScaleIn() != null) {
            changed.newInstancesProtectedFromScaleIn(request.newInstancesProtectedFromScaleIn());
        }
        if (request.launchTemplate() != null) {
            changed.launchTemplate(request.launchTemplate());
        }
        group.model = changed.build();
        tick();
        return UpdateAutoScalingGroupResponse.builder().build();
    }

    private SetDesiredCapacityResponse setDesiredCapacity(SetDesiredCapacityRequest request) throws AwsServiceError {
        GroupState group = group(request.autoScalingGroupName());
        Integer desired = request.desiredCapacity();
        if (desired == null) {
            throw AwsServiceError.validation("DesiredCapacity is required.");
        }
        if (desired > group.model.maxSize()) {
            throw AwsServiceError.validation("New SetDesiredCapacity value " + desired + " is above max value "
                    + group.model.maxSize() + " for the AutoScalingGroup.");
        }
        if (desired < group.model.minSize()) {
            throw AwsServiceError.validation("New SetDesiredCapacity value " + desired + " is below min value "
                    + group.model.minSize() + " for the AutoScalingGroup.");
        }
        group.model = group.model.toBuilder().desiredCapacity(desired).build();
        tick();
        return SetDesiredCapacityResponse.builder().build();
    }

    // ---- standby ----

    private EnterStandbyResponse enterStandby(EnterStandbyRequest request) throws AwsServiceError {
        GroupState group = group(request.autoScalingGroupName());
        if (request.shouldDecrementDesiredCapacity() == null) {
            throw AwsServiceError.validation("ShouldDecrementDesiredCapacity is required.");
        }
        List<Member> members = members(group, request.instanceIds());
        for (Member member : members) {
            if (member.state() != LifecycleState.IN_SERVICE) {
                throw AwsServiceError.validation("The instance " + member.machine.id() + " is not in InService.");
            }
        }
        int desired = group.model.desiredCapacity();
        if (request.shouldDecrementDesiredCapacity()) {
            if (desired - members.size() < group.model.minSize()) {
                throw AwsServiceError.validation("AutoScalingGroup " + group.spec.name() + " has min-size="
                        + group.model.minSize() + ", max-size=" + group.model.maxSize() + ", and desired-size=" + desired
                        + ". To place into standby " + members.size()
                        + " instances, please update the AutoScalingGroup sizes appropriately.");
            }
            group.model = group.model.toBuilder().desiredCapacity(desired - members.size()).build();
        }
        List<Activity> started = new ArrayList<>();
        for (Member member : members) {
            member.state(LifecycleState.ENTERING_STANDBY);
            deregisterFromTargetGroups(group, member);
            Activity activity = activity(group, "Moving EC2 instance to Standby: " + member.machine.id(),
                    "At " + now() + " instance " + member.machine.id() + " was moved to standby in response to a user request"
                            + (request.shouldDecrementDesiredCapacity()
                                    ? ", shrinking the capacity from " + desired + " to " + group.model.desiredCapacity() + "."
                                    : "."),
                    ScalingActivityStatusCode.IN_PROGRESS);
            member.activityId = activity.activityId();
            started.add(activity);
        }
        tick();
        return EnterStandbyResponse.builder().activities(started).build();
    }

    private ExitStandbyResponse exitStandby(ExitStandbyRequest request) throws AwsServiceError {
        GroupState group = group(request.autoScalingGroupName());
        List<Member> members = members(group, request.instanceIds());
        for (Member member : members) {
            if (member.state() != LifecycleState.STANDBY) {
                throw AwsServiceError.validation("The instance " + member.machine.id() + " is not in Standby.");
            }
        }
        int desired = group.model.desiredCapacity();
        if (desired + members.size() > group.model.maxSize()) {
            throw AwsServiceError.validation("AutoScalingGroup " + group.spec.name() + " has min-size="
                    + group.model.minSize() + ", max-size=" + group.model.maxSize() + ", and desired-size=" + desired
                    + ". To move " + members.size() + " instances out of standby, please update the AutoScalingGroup sizes appropriately.");
        }
        group.model = group.model.toBuilder().desiredCapacity(desired + members.size()).build();
        List<Activity> started = new ArrayList<>();
        for (Member member : members) {
            member.state(LifecycleState.PENDING);
            member.booted = true;
            Activity activity = activity(group, "Moving EC2 instance out of Standby: " + member.machine.id(),
                    "At " + now() + " instance " + member.machine.id() + " was moved out of standby in response to a user"
                            + " request, increasing the capacity from " + desired + " to " + group.model.desiredCapacity() + ".",
                    ScalingActivityStatusCode.PRE_IN_SERVICE);
            member.activityId = activity.activityId();
            started.add(activity);
        }
        tick();
        return ExitStandbyResponse.builder().activities(started).build();
    }

    // ---- processes ----

    private SuspendProcessesResponse suspend(SuspendProcessesRequest request) throws AwsServiceError {
        GroupState group = group(request.autoScalingGroupName());
        List<String> names = processes(request.hasScalingProcesses() ? request.scalingProcesses() : List.of());
        Map<String, SuspendedProcess> suspended = new LinkedHashMap<>();
        group.model.suspendedProcesses().forEach(p -> suspended.put(p.processName(), p));
        for (String name : names) {
            suspended.putIfAbsent(name, SuspendedProcess.builder().processName(name)
                    .suspensionReason("User suspended at " + now()).build());
        }
        group.model = group.model.toBuilder().suspendedProcesses(List.copyOf(suspended.values())).build();
        return SuspendProcessesResponse.builder().build();
    }

    private ResumeProcessesResponse resume(ResumeProcessesRequest request) throws AwsServiceError {
        GroupState group = group(request.autoScalingGroupName());
        Set<String> names = new LinkedHashSet<>(processes(request.hasScalingProcesses() ? request.scalingProcesses() : List.of()));
        group.model = group.model.toBuilder().suspendedProcesses(group.model.suspendedProcesses().stream()
                .filter(p -> !names.contains(p.processName())).toList()).build();
        tick();
        return ResumeProcessesResponse.builder().build();
    }

    private static List<String> processes(List<String> requested) throws AwsServiceError {
        if (requested.isEmpty()) {
            return PROCESSES;
        }
        for (String name : requested) {
            if (!PROCESSES.contains(name)) {
                throw AwsServiceError.validation("Process type " + name + " is not valid; valid types are "
                        + String.join(", ", PROCESSES) + ".");
            }
        }
        return requested;
    }

    // ---- instances ----

    private TerminateInstanceInAutoScalingGroupResponse terminate(TerminateInstanceInAutoScalingGroupRequest request)
            throws AwsServiceError {
        if (request.instanceId() == null || request.shouldDecrementDesiredCapacity() == null) {
            throw AwsServiceError.validation("InstanceId and ShouldDecrementDesiredCapacity are required.");
        }
        GroupState group = groups.values().stream().filter(g -> g.members.containsKey(request.instanceId())).findFirst()
                .orElseThrow(() -> AwsServiceError.validation("Instance Id not found - No managed instance found for"
                        + " instance ID: " + request.instanceId()));
        Member member = group.members.get(request.instanceId());
        if (member.state().toString().startsWith("Terminating")) {
            throw new AwsServiceError(400, "ScalingActivityInProgress", "Instance " + request.instanceId()
                    + " is already being terminated.");
        }
        int desired = group.model.desiredCapacity();
        boolean counted = member.counts();
        if (request.shouldDecrementDesiredCapacity() && counted) {
            if (desired - 1 < group.model.minSize()) {
                throw AwsServiceError.validation("Currently, desiredCapacity=" + desired + " and minSize="
                        + group.model.minSize() + ", so the instance can't be terminated with decrement.");
            }
            group.model = group.model.toBuilder().desiredCapacity(desired - 1).build();
        }
        Activity activity = startTermination(group, member, "At " + now() + " instance " + member.machine.id()
                + " was taken out of service in response to a user request"
                + (request.shouldDecrementDesiredCapacity() && counted
                        ? ", shrinking the capacity from " + desired + " to " + (desired - 1) + "." : "."));
        tick();
        return TerminateInstanceInAutoScalingGroupResponse.builder().activity(activity).build();
    }

    private SetInstanceProtectionResponse protect(SetInstanceProtectionRequest request) throws AwsServiceError {
        GroupState group = group(request.autoScalingGroupName());
        if (request.protectedFromScaleIn() == null) {
            throw AwsServiceError.validation("ProtectedFromScaleIn is required.");
        }
        for (Member member : members(group, request.instanceIds())) {
            member.model = member.model.toBuilder().protectedFromScaleIn(request.protectedFromScaleIn()).build();
        }
        return SetInstanceProtectionResponse.builder().build();
    }

    private List<Member> members(GroupState group, List<String> instanceIds) throws AwsServiceError {
        if (instanceIds == null || instanceIds.isEmpty()) {
            throw AwsServiceError.validation("At least one InstanceId is required.");
        }
        List<Member> found = new ArrayList<>();
        for (String id : new LinkedHashSet<>(instanceIds)) {
            Member member = group.members.get(id);
            if (member == null) {
                throw AwsServiceError.validation("The instance " + id + " is not part of Auto Scaling group "
                        + group.spec.name() + ".");
            }
            found.add(member);
        }
        return found;
    }

    // ---- tags ----

    private CreateOrUpdateTagsResponse createOrUpdateTags(CreateOrUpdateTagsRequest request) throws AwsServiceError {
        Map<GroupState, List<Tag>> byGroup = tagsByGroup(request.hasTags() ? request.tags() : List.of());
        for (Map.Entry<GroupState, List<Tag>> entry : byGroup.entrySet()) {
            Map<String, TagDescription> tags = new LinkedHashMap<>();
            entry.getKey().model.tags().forEach(t -> tags.put(t.key(), t));
            for (Tag tag : entry.getValue()) {
                if (tag.key().startsWith("aws:")) {
                    throw AwsServiceError.validation("Tag keys starting with 'aws:' are reserved.");
                }
                tags.put(tag.key(), TagDescription.builder().resourceId(tag.resourceId()).resourceType(RESOURCE_TYPE)
                        .key(tag.key()).value(tag.value() == null ? "" : tag.value())
                        .propagateAtLaunch(Boolean.TRUE.equals(tag.propagateAtLaunch())).build());
            }
            entry.getKey().model = entry.getKey().model.toBuilder().tags(List.copyOf(tags.values())).build();
        }
        return CreateOrUpdateTagsResponse.builder().build();
    }

    private DeleteTagsResponse deleteTags(DeleteTagsRequest request) throws AwsServiceError {
        Map<GroupState, List<Tag>> byGroup = tagsByGroup(request.hasTags() ? request.tags() : List.of());
        for (Map.Entry<GroupState, List<Tag>> entry : byGroup.entrySet()) {
            Set<String> keys = new LinkedHashSet<>(entry.getValue().stream().map(Tag::key).toList());
            entry.getKey().model = entry.getKey().model.toBuilder().tags(entry.getKey().model.tags().stream()
                    .filter(t -> !keys.contains(t.key())).toList()).build();
        }
        return DeleteTagsResponse.builder().build();
    }

    private Map<GroupState, List<Tag>> tagsByGroup(List<Tag> tags) throws AwsServiceError {
        if (tags.isEmpty()) {
            throw AwsServiceError.validation("At least one tag is required.");
        }
        Map<GroupState, List<Tag>> byGroup = new LinkedHashMap<>();
        for (Tag tag : tags) {
            if (tag.resourceType() != null && !RESOURCE_TYPE.equals(tag.resourceType())) {
                throw AwsServiceError.validation("ResourceType must be " + RESOURCE_TYPE + ".");
            }
            if (tag.key() == null || tag.key().isEmpty() || tag.key().length() > 128) {
                throw AwsServiceError.validation("Tag keys must be 1 to 128 characters long.");
            }
            byGroup.computeIfAbsent(group(tag.resourceId()), g -> new ArrayList<>()).add(tag);
        }
        return byGroup;
    }

    private DescribeTagsResponse describeTags(DescribeTagsRequest request) throws AwsServiceError {
        List<TagDescription> all = groups.values().stream().flatMap(g -> g.model.tags().stream()).toList();
        if (request.hasFilters()) {
            for (Filter filter : request.filters()) {
                Set<String> values = new LinkedHashSet<>(filter.values());
                Predicate<TagDescription> test = switch (filter.name() == null ? "" : filter.name()) {
                    case "auto-scaling-group" -> t -> values.contains(t.resourceId());
                    case "key" -> t -> values.contains(t.key());
                    case "value" -> t -> values.contains(t.value());
                    case "propagate-at-launch" -> t -> values.contains(String.valueOf(t.propagateAtLaunch()));
                    default -> throw AwsServiceError.validation("Filter name '" + filter.name() + "' is not valid;"
                            + " valid names are auto-scaling-group, key, value and propagate-at-launch.");
                };
                all = all.stream().filter(test).toList();
            }
        }
        Page<TagDescription> page = Page.of(all, request.nextToken(), request.maxRecords(), 100, 1, 100, "InvalidNextToken");
        return DescribeTagsResponse.builder().tags(page.items()).nextToken(page.nextToken()).build();
    }

    // ---- the group's own life ----

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("Auto Scaling tick failed; it runs again shortly", e);
        }
    }

    private synchronized void tick() {
        for (GroupState group : groups.values()) {
            advanceMembers(group);
            checkHealth(group);
            replaceUnhealthy(group);
            keepDesiredCapacity(group);
            rebalanceZones(group);
            runAgentTimers(group);
        }
    }

    /**
     * A pull fleet's timer: once an instance's user data ran, {@code fleet-agent.sh poll} runs in its
     * directory every {@code agentPollInterval} (from the start of the last run; a run still going is not
     * started twice), whatever the instance's lifecycle state, as a systemd timer on the instance would.
     */
    private void runAgentTimers(GroupState group) {
        Duration interval = group.spec.agentPollInterval();
        if (interval.isZero()) {
            return;
        }
        Instant now = clock.instant();
        for (Member member : group.members.values()) {
            boolean userDataRan = member.booted && !member.userDataStarting && member.userData == null;
            if (!userDataRan || member.state().toString().startsWith("Terminat") || !member.machine.running()) {
                continue;
            }
            if (member.nextAgentPoll == null) {
                member.nextAgentPoll = now.plus(interval);
            } else if (!now.isBefore(member.nextAgentPoll)
                    && (member.agentPoll == null || member.agentPoll.status().done())) {
                member.nextAgentPoll = now.plus(interval);
                Map<String, String> env = member.machine.commandEnvironment();
                env.put("FLEET_AGENT", environment.agentScript().toString());
                try {
                    member.agentPoll = shell.run(member.machine.id(), member.machine.host().home(), env,
                            List.of("sh \"$FLEET_AGENT\" poll"), AGENT_POLL_TIMEOUT);
                } catch (RuntimeException e) {
                    LOG.warn("The agent timer of instance {} could not run: {}", member.machine.id(), e.toString());
                }
            }
        }
    }

    private void advanceMembers(GroupState group) {
        Instant now = clock.instant();
        for (Member member : new ArrayList<>(group.members.values())) {
            switch (member.state()) {
                case PENDING -> advancePending(group, member, now);
                case ENTERING_STANDBY -> {
                    if (drained(group, member)) {
                        member.state(LifecycleState.STANDBY);
                        finish(member, ScalingActivityStatusCode.SUCCESSFUL);
                    }
                }
                case TERMINATING -> {
                    if (drained(group, member) || !member.machine.running()) {
                        machines.terminate(member.machine.id());
                        group.members.remove(member.machine.id());
                        finish(member, ScalingActivityStatusCode.SUCCESSFUL);
                    }
                }
                default -> {
                }
            }
        }
    }

    private void advancePending(GroupState group, Member member, Instant now) {
        if ("terminated".equals(member.machine.state()) || !member.machine.host().running()) {
            // Killed while booting (a fault): EC2 reports it gone, so the group replaces it.
            startTermination(group, member, "At " + now() + " an instance was taken out of service in response to an"
                    + " EC2 health check indicating it has been terminated or stopped.");
            return;
        }
        if (!member.booted) {
            if (now.isBefore(member.machine.launchTime().plus(bootDelay))) {
                return;
            }
            member.booted = true;
            member.userDataStarting = true;
            member.machine.state("running", now);
            timers.execute(() -> startUserData(group, member));
            return;
        }
        if (member.userDataStarting) {
            return;
        }
        if (member.userData != null) {
            if (member.userData.status() == CommandExecution.Status.PENDING
                    || member.userData.status() == CommandExecution.Status.IN_PROGRESS) {
                return;
            }
            keepUserDataLog(member);
            member.userData = null;
        }
        member.state(LifecycleState.IN_SERVICE);
        member.inServiceSince = now;
        if (!group.suspended("AddToLoadBalancer")) {
            for (String targetGroupArn : group.model.targetGroupARNs()) {
                elb.register(targetGroupArn, member.machine);
            }
        }
        finish(member, ScalingActivityStatusCode.SUCCESSFUL);
    }

    /** Reads the channel pointer and starts the agent outside the lock (S3 may be slow); the tick waits for it. */
    private void startUserData(GroupState group, Member member) {
        String app;
        String channel;
        synchronized (this) {
            app = tagValue(group, "fleet:app").orElse(group.spec.app());
            channel = tagValue(group, "fleet:channel").orElse(group.spec.channel());
        }
        CommandExecution execution = null;
        try {
            execution = runUserData(app, channel, member);
        } catch (RuntimeException e) {
            LOG.warn("User data of instance {} could not start: {}", member.machine.id(), e.toString());
        }
        synchronized (this) {
            member.userData = execution;
            member.userDataStarting = false;
        }
    }

    /** As user data would: install the version the group's channel pointer names, with the agent. */
    private CommandExecution runUserData(String app, String channel, Member member) {
        Optional<String> version;
        try {
            version = pointers.version(app, channel);
        } catch (RuntimeException e) {
            LOG.warn("Instance {} could not read the channel pointer {}/{}: {}", member.machine.id(), app, channel, e.toString());
            version = Optional.empty();
        }
        if (version.isEmpty()) {
            writeUserDataLog(member, "no release: the channel pointer for app " + app + ", channel " + channel
                    + " does not exist (or cannot be read); the instance starts without a release\n");
            return null;
        }
        Map<String, String> env = member.machine.commandEnvironment();
        env.put("FLEET_AGENT", environment.agentScript().toString());
        env.put("FLEET_INSTALL_VERSION", version.get());
        return shell.run(member.machine.id(), member.machine.host().home(), env,
                List.of("sh \"$FLEET_AGENT\" install \"$FLEET_INSTALL_VERSION\""), USER_DATA_TIMEOUT);
    }

    private void keepUserDataLog(Member member) {
        CommandExecution run = member.userData;
        writeUserDataLog(member, "status: " + run.status() + ", exit code: "
                + (run.exitCode().isPresent() ? run.exitCode().getAsInt() : "none") + "\n--- stdout\n" + run.stdout()
                + "\n--- stderr\n" + run.stderr() + "\n");
        if (run.status() != CommandExecution.Status.SUCCESS) {
            LOG.warn("User data of instance {} ended {}; it goes InService without a working release",
                    member.machine.id(), run.status());
        }
    }

    /** The instance's cloud-init-output.log: what its user data printed. */
    private static void writeUserDataLog(Member member, String text) {
        try {
            Files.writeString(member.machine.host().home().resolve("user-data.log"), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOG.warn("Cannot write the user data log of {}: {}", member.machine.id(), e.toString());
        }
    }

    private void checkHealth(GroupState group) {
        if (group.suspended("HealthCheck")) {
            return;
        }
        Instant now = clock.instant();
        for (Member member : group.members.values()) {
            if (member.state() != LifecycleState.IN_SERVICE || "Unhealthy".equals(member.model.healthStatus())) {
                continue;
            }
            boolean healthy = member.machine.running();
            if (healthy && "ELB".equals(group.model.healthCheckType())
                    && !now.isBefore(member.inServiceSince.plusSeconds(group.model.healthCheckGracePeriod()))) {
                healthy = group.model.targetGroupARNs().stream()
                        .noneMatch(arn -> elb.targetState(arn, member.machine.id()).filter("unhealthy"::equals).isPresent());
            }
            if (!healthy) {
                member.model = member.model.toBuilder().healthStatus("Unhealthy").build();
            }
        }
    }

    /** ReplaceUnhealthy needs Terminate too, as on AWS. */
    private void replaceUnhealthy(GroupState group) {
        if (group.suspended("ReplaceUnhealthy") || group.suspended("Terminate")) {
            return;
        }
        for (Member member : new ArrayList<>(group.members.values())) {
            if (member.state() == LifecycleState.IN_SERVICE && "Unhealthy".equals(member.model.healthStatus())) {
                startTermination(group, member, "At " + now() + " an instance was taken out of service in response to "
                        + ("ELB".equals(group.model.healthCheckType()) && member.machine.running()
                                ? "an ELB system health check failure." : "an EC2 health check indicating it has been terminated or stopped."));
            }
        }
    }

    private void keepDesiredCapacity(GroupState group) {
        Member rebalancing = group.rebalancing == null ? null : group.members.get(group.rebalancing);
        boolean rebalanced = rebalancing != null && rebalancing.state() == LifecycleState.IN_SERVICE;
        if (rebalancing == null || rebalancing.state() != LifecycleState.PENDING) {
            group.rebalancing = null;
        }
        List<Member> counted = group.members.values().stream().filter(Member::counts)
                .filter(m -> !m.machine.id().equals(group.rebalancing)).toList();
        int desired = group.model.desiredCapacity();
        if (counted.size() < desired && !group.suspended("Launch")) {
            for (int i = counted.size(); i < desired; i++) {
                launch(group, "a difference between desired and actual capacity, increasing the capacity from "
                        + i + " to " + desired);
            }
        } else if (counted.size() > desired && !group.suspended("Terminate")) {
            List<Member> candidates = counted.stream().filter(m -> !Boolean.TRUE.equals(m.model.protectedFromScaleIn()))
                    .sorted(scaleInOrder(group)).toList();
            int excess = counted.size() - desired;
            for (Member member : candidates.subList(0, Math.min(excess, candidates.size()))) {
                startTermination(group, member, "At " + now() + (rebalanced
                        ? " an instance was taken out of service in response to availability zone rebalancing."
                        : " a user request explicitly set group desired capacity changing the desired capacity to "
                                + desired + ". An instance was taken out of service in response to a difference between"
                                + " desired and actual capacity, shrinking the capacity from " + counted.size() + " to "
                                + desired + "."));
            }
        }
    }

    /**
     * AZRebalance: when the zones differ by more than one instance, launch in the emptiest zone first;
     * once that instance is InService the group is one over desired and scale-in (busiest zone first)
     * terminates one. This is what moves instances behind a deployment's back unless it is suspended.
     */
    private void rebalanceZones(GroupState group) {
        if (group.rebalancing != null || group.suspended("AZRebalance") || group.suspended("Launch")
                || group.suspended("Terminate")) {
            return;
        }
        List<Member> counted = group.members.values().stream().filter(Member::counts).toList();
        if (counted.size() != group.model.desiredCapacity()
                || counted.stream().anyMatch(m -> m.state() != LifecycleState.IN_SERVICE)) {
            return;
        }
        Map<String, Long> perZone = new LinkedHashMap<>();
        group.model.availabilityZones().forEach(z -> perZone.put(z, 0L));
        counted.forEach(m -> perZone.merge(m.model.availabilityZone(), 1L, Long::sum));
        long most = perZone.values().stream().mapToLong(Long::longValue).max().orElse(0);
        long least = perZone.values().stream().mapToLong(Long::longValue).min().orElse(0);
        if (most - least > 1) {
            group.rebalancing = launch(group, "an unbalanced distribution of instances"
                    + " across availability zones (AZRebalance); an instance will be terminated once it is InService");
        }
    }

    /** AWS's default termination policy, simplified: unhealthy first, then the busiest zone, then the oldest. */
    private static Comparator<Member> scaleInOrder(GroupState group) {
        Map<String, Long> perZone = new HashMap<>();
        group.members.values().stream().filter(Member::counts)
                .forEach(m -> perZone.merge(m.model.availabilityZone(), 1L, Long::sum));
        return Comparator.<Member, Boolean>comparing(m -> !"Unhealthy".equals(m.model.healthStatus()))
                .thenComparing(m -> -perZone.getOrDefault(m.model.availabilityZone(), 0L))
                .thenComparing(m -> m.machine.launchTime());
    }

    private String launch(GroupState group, String reason) {
        String zone = leastUsedZone(group);
        Map<String, String> env = new LinkedHashMap<>(environment.variables());
        env.put("FLEET_APP", tagValue(group, "fleet:app").orElse(group.spec.app()));
        env.put("FLEET_GROUP", group.spec.name());
        env.put("FLEET_CHANNEL", tagValue(group, "fleet:channel").orElse(group.spec.channel()));
        Map<String, String> tags = new LinkedHashMap<>();
        group.model.tags().stream().filter(t -> Boolean.TRUE.equals(t.propagateAtLaunch()))
                .forEach(t -> tags.put(t.key(), t.value()));
        tags.put("aws:autoscaling:groupName", group.spec.name());
        Machine machine = machines.launch(env.get("FLEET_APP"), zone, group.spec.instanceType(), env, tags);
        Member member = new Member(machine, Instance.builder()
                .instanceId(machine.id()).instanceType(group.spec.instanceType()).availabilityZone(zone)
                .lifecycleState(LifecycleState.PENDING).healthStatus("Healthy")
                .launchTemplate(group.model.launchTemplate())
                .protectedFromScaleIn(Boolean.TRUE.equals(group.model.newInstancesProtectedFromScaleIn()))
                .build());
        group.members.put(machine.id(), member);
        member.activityId = activity(group, "Launching a new EC2 instance: " + machine.id(),
                "At " + now() + " an instance was started in response to " + reason + ".",
                ScalingActivityStatusCode.PRE_IN_SERVICE).activityId();
        return machine.id();
    }

    private String leastUsedZone(GroupState group) {
        Map<String, Long> perZone = new LinkedHashMap<>();
        group.model.availabilityZones().forEach(z -> perZone.put(z, 0L));
        group.members.values().stream().filter(Member::counts)
                .forEach(m -> perZone.merge(m.model.availabilityZone(), 1L, Long::sum));
        return perZone.entrySet().stream().min(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElseThrow();
    }

    private Activity startTermination(GroupState group, Member member, String cause) {
        member.state(LifecycleState.TERMINATING);
        deregisterFromTargetGroups(group, member);
        finish(member, ScalingActivityStatusCode.CANCELLED);
        Activity activity = activity(group, "Terminating EC2 instance: " + member.machine.id(), cause,
                ScalingActivityStatusCode.IN_PROGRESS);
        member.activityId = activity.activityId();
        return activity;
    }

    private void deregisterFromTargetGroups(GroupState group, Member member) {
        for (String targetGroupArn : group.model.targetGroupARNs()) {
            elb.deregister(targetGroupArn, member.machine.id());
        }
    }

    /** Drained: no target group lists it any more (done draining, or never registered). */
    private boolean drained(GroupState group, Member member) {
        return group.model.targetGroupARNs().stream().allMatch(arn -> elb.targetState(arn, member.machine.id()).isEmpty());
    }

    private Optional<String> tagValue(GroupState group, String key) {
        return group.model.tags().stream().filter(t -> t.key().equals(key)).map(TagDescription::value).findFirst();
    }

    // ---- activities ----

    private Activity activity(GroupState group, String description, String cause, ScalingActivityStatusCode status) {
        Activity activity = Activity.builder().activityId(ids.uuid()).autoScalingGroupName(group.spec.name())
                .autoScalingGroupARN(group.model.autoScalingGroupARN())
                .description(description).cause(cause).startTime(clock.instant()).statusCode(status)
                .progress(status == ScalingActivityStatusCode.SUCCESSFUL ? 100 : 0).details("{}").build();
        activities.add(activity);
        if (activities.size() > 5000) {
            activities.remove(0);
        }
        return activity;
    }

    /** Ends the member's current activity (if one is still open) with the given status. */
    private void finish(Member member, ScalingActivityStatusCode status) {
        if (member.activityId == null) {
            return;
        }
        for (int i = activities.size() - 1; i >= 0; i--) {
            Activity activity = activities.get(i);
            if (activity.activityId().equals(member.activityId)) {
                activities.set(i, activity.toBuilder().statusCode(status).endTime(clock.instant()).progress(100).build());
                break;
            }
        }
        member.activityId = null;
    }

    // ---- models ----

    private GroupState group(String name) throws AwsServiceError {
        if (name == null || name.isEmpty()) {
            throw AwsServiceError.validation("AutoScalingGroupName is required.");
        }
        GroupState group = groups.get(name);
        if (group == null) {
            throw AwsServiceError.validation("AutoScalingGroup name not found - AutoScalingGroup '" + name + "' not found");
        }
        return group;
    }

    private AutoScalingGroup render(GroupState group) {
        return group.model.toBuilder().instances(group.members.values().stream().map(m -> m.model).toList()).build();
    }

    private AutoScalingGroup initialModel(SandboxConfig config, SandboxConfig.Group spec) {
        List<String> zones = spec.availabilityZones().stream()
                .map(z -> z.length() == 1 ? config.region() + z : z).toList();
        List<TagDescription> tags = new ArrayList<>();
        spec.tags().forEach((key, value) -> tags.add(TagDescription.builder().resourceId(spec.name())
                .resourceType(RESOURCE_TYPE).key(key).value(value).propagateAtLaunch(true).build()));
        return AutoScalingGroup.builder()
                .autoScalingGroupName(spec.name())
                .autoScalingGroupARN(arnPrefix + "autoScalingGroup:" + ids.uuid() + ":autoScalingGroupName/" + spec.name())
                .launchTemplate(LaunchTemplateSpecification.builder().launchTemplateId("lt-0" + ids.hex(16))
                        .launchTemplateName(spec.name()).version("$Default").build())
                .minSize(spec.minSize()).maxSize(spec.maxSize()).desiredCapacity(spec.desiredCapacity())
                .defaultCooldown(300).availabilityZones(zones).loadBalancerNames(List.of())
                .targetGroupARNs(spec.targetGroups().stream().map(elb::arnOf).toList())
                .healthCheckType(spec.healthCheckType())
                .healthCheckGracePeriod((int) spec.healthCheckGracePeriod().toSeconds())
                .createdTime(clock.instant()).suspendedProcesses(List.of()).vpcZoneIdentifier("")
                .enabledMetrics(List.of()).tags(tags).terminationPolicies("Default")
                .newInstancesProtectedFromScaleIn(false).capacityRebalance(false)
                .serviceLinkedRoleARN("arn:aws:iam::" + config.accountId()
                        + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
                .build();
    }

    private String now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
