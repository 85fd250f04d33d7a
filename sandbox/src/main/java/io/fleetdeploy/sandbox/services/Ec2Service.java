package io.fleetdeploy.sandbox.services;

import io.fleetdeploy.sandbox.aws.AwsApi;
import io.fleetdeploy.sandbox.aws.AwsServiceError;
import io.fleetdeploy.sandbox.aws.CallContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceState;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Placement;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.Tag;

/** EC2, as far as fleet-deploy reads it: DescribeInstances of the instances Auto Scaling launched. */
public final class Ec2Service implements AwsApi.Handler {

    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8}([0-9a-f]{9})?");
    private static final Map<String, Integer> STATE_CODES = Map.of("pending", 0, "running", 16, "shutting-down", 32,
            "terminated", 48, "stopping", 64, "stopped", 80);

    private final Machines machines;
    private final String accountId;

    public Ec2Service(Machines machines, String accountId) {
        this.machines = machines;
        this.accountId = accountId;
    }

    @Override
    public AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
        if (!"DescribeInstances".equals(action)) {
            throw new AwsServiceError(400, "InvalidAction",
                    "The action " + action + " is not valid for this web service (the sandbox does not answer it).");
        }
        return describeInstances((DescribeInstancesRequest) request);
    }

    private DescribeInstancesResponse describeInstances(DescribeInstancesRequest request) throws AwsServiceError {
        List<Machine> selected = machines.all();
        if (request.hasInstanceIds() && !request.instanceIds().isEmpty()) {
            if (request.maxResults() != null) {
                throw new AwsServiceError(400, "InvalidParameterCombination",
                        "The parameter instancesSet cannot be used with the parameter maxResults");
            }
            List<String> missing = new ArrayList<>();
            for (String id : request.instanceIds()) {
                if (!INSTANCE_ID.matcher(id).matches()) {
                    throw new AwsServiceError(400, "InvalidInstanceID.Malformed", "Invalid id: \"" + id + "\"");
                }
                if (machines.find(id).isEmpty()) {
                    missing.add(id);
                }
            }
            if (!missing.isEmpty()) {
                throw new AwsServiceError(400, "InvalidInstanceID.NotFound", missing.size() == 1
                        ? "The instance ID '" + missing.get(0) + "' does not exist"
                        : "The instance IDs '" + String.join(", ", missing) + "' do not exist");
            }
            Set<String> wanted = new LinkedHashSet<>(request.instanceIds());
            selected = selected.stream().filter(m -> wanted.contains(m.id())).toList();
        }
        if (request.hasFilters()) {
            for (Filter filter : request.filters()) {
                selected = selected.stream().filter(matches(filter)).toList();
            }
        }
        Page<Machine> page = Page.of(selected, request.nextToken(), request.maxResults(), 1000, 5, 1000,
                "InvalidParameterValue");
        return DescribeInstancesResponse.builder()
                .reservations(page.items().stream().map(this::reservation).toList())
                .nextToken(page.nextToken()).build();
    }

    private static Predicate<Machine> matches(Filter filter) throws AwsServiceError {
        Set<String> values = new LinkedHashSet<>(filter.values());
        String name = filter.name() == null ? "" : filter.name();
        if (name.startsWith("tag:")) {
            String key = name.substring(4);
            return m -> m.tag(key).filter(values::contains).isPresent();
        }
        return switch (name) {
            case "instance-id" -> m -> values.contains(m.id());
            case "instance-state-name" -> m -> values.contains(m.state());
            case "instance-state-code" -> m -> values.contains(String.valueOf(STATE_CODES.get(m.state())));
            case "availability-zone" -> m -> values.contains(m.availabilityZone());
            case "instance-type" -> m -> values.contains(m.instanceType());
            case "tag-key" -> m -> m.tags().keySet().stream().anyMatch(values::contains);
            default -> throw new AwsServiceError(400, "InvalidParameterValue", "The filter '" + name + "' is invalid");
        };
    }

    private Reservation reservation(Machine machine) {
        String state = machine.state();
        List<Tag> tags = machine.tags().entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
        Instance.Builder instance = Instance.builder()
                .instanceId(machine.id()).imageId("ami-0f1ee7de9107sandb").instanceType(machine.instanceType())
                .state(InstanceState.builder().code(STATE_CODES.get(state)).name(InstanceStateName.fromValue(state)).build())
                .launchTime(machine.launchTime())
                .placement(Placement.builder().availabilityZone(machine.availabilityZone()).tenancy("default").build())
                .architecture("x86_64").rootDeviceType("ebs").virtualizationType("hvm").hypervisor("xen")
                .amiLaunchIndex(0).tags(tags);
        if (!"terminated".equals(state)) {
            // The instance's own server listens on loopback; its port is how a client reaches it.
            instance.privateIpAddress("127.0.0.1").privateDnsName("localhost")
                    .vpcId("vpc-0fleet0sandbox000").subnetId("subnet-0" + machine.availabilityZone().substring(
                            machine.availabilityZone().length() - 1));
        } else {
            instance.stateTransitionReason("User initiated (" + machine.stateChanged() + ")");
        }
        return Reservation.builder().reservationId(machine.reservationId()).ownerId(accountId).instances(instance.build())
                .build();
    }
}
