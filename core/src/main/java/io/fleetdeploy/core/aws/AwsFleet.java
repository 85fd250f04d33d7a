package io.fleetdeploy.core.aws;

import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.fleet.FleetChange;
import io.fleetdeploy.core.fleet.FleetEffects;
import io.fleetdeploy.core.fleet.FleetOperations;
import io.fleetdeploy.core.operation.LeaseOptions;
import io.fleetdeploy.core.operation.OperationRunner;
import io.fleetdeploy.core.operation.OperationStore;
import io.fleetdeploy.core.operation.RunnerSettings;
import io.fleetdeploy.core.operation.S3Leases;
import io.fleetdeploy.core.operation.Sleeper;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Wires the fleet operations to real AWS (or the sandbox, through the endpoint override): one SDK
 * client per service, the S3 state store and leases, the runner. The CLI and the Jenkins steps
 * both start here.
 */
public final class AwsFleet implements AutoCloseable {

    /**
     * @param holder          who runs the operations (build URL, user@host); names the lease holder
     * @param pollInterval    wait between observations (default 5 s)
     * @param lease           lease TTL, waitForLease and force
     * @param agentS3Endpoint S3 endpoint the instance agent uses; null: the instance's own
     * @param agentHome       FLEET_HOME for instances that have none
     */
    public record Options(String holder, Duration pollInterval, LeaseOptions lease, String agentS3Endpoint, String agentHome) {
    }

    private final S3Client s3;
    private final AutoScalingClient autoScaling;
    private final ElasticLoadBalancingV2Client elbv2;
    private final SsmClient ssm;
    private final S3AsyncClient s3Multipart;
    private final Releases releases;
    private final OperationStore store;
    private final FleetOperations operations;
    /** Every call the clients above send (uploads through the multipart client excepted). */
    private final ApiCallCounter apiCalls = new ApiCallCounter();

    /** One endpoint for every service, S3 included (real AWS, or one S3-compatible override). */
    public AwsFleet(AwsSettings settings, S3Layout layout, Options options, Clock clock, Sleeper sleeper, ProgressListener progress) {
        this(settings, settings, layout, options, clock, sleeper, progress);
    }

    /**
     * @param settings   Auto Scaling, ELBv2 and SSM
     * @param s3Settings the release bucket; differs from {@code settings} only where S3 has its own endpoint (the sandbox)
     */
    public AwsFleet(AwsSettings settings, AwsSettings s3Settings, S3Layout layout, Options options, Clock clock, Sleeper sleeper,
                    ProgressListener progress) {
        RunnerSettings runnerSettings = new RunnerSettings(options.pollInterval(), options.lease(), options.holder());
        List<ExecutionInterceptor> counting = List.of(apiCalls);
        this.s3 = AwsClients.s3(s3Settings, counting);
        this.autoScaling = AwsClients.configure(AutoScalingClient.builder(), settings, counting).build();
        this.elbv2 = AwsClients.configure(ElasticLoadBalancingV2Client.builder(), settings, counting).build();
        this.ssm = AwsClients.configure(SsmClient.builder(), settings, counting).build();
        // Counted too: Releases reads channels and manifests through it.
        this.s3Multipart = AwsClients.s3Multipart(s3Settings, AwsClients.DEFAULT_PART_SIZE, null, counting);
        this.releases = new Releases(s3, s3Multipart, layout, clock, progress);
        this.store = new OperationStore(s3, layout, FleetChange.mapper());
        AutoScalingGroups groups = new AutoScalingGroups(autoScaling);
        Elbv2Traffic traffic = new Elbv2Traffic(elbv2);
        S3FleetRecords records = new S3FleetRecords(s3, releases, runnerSettings.holder());
        S3Leases leases = new S3Leases(s3, layout, clock);
        OperationRunner runner = new OperationRunner(store, leases, clock, sleeper, progress, runnerSettings, apiCalls,
                new TransientAwsErrors());
        SsmCommands commands = new SsmCommands(ssm, new SsmCommands.AgentSettings(layout, options.agentS3Endpoint(), options.agentHome()));
        FleetEffects effects = new FleetEffects(groups, traffic, commands, records, records, clock, Duration.ofMinutes(5),
                Duration.ofMinutes(10), progress);
        this.operations = new FleetOperations(groups, traffic, records, records, effects, runner, store, clock);
    }

    public FleetOperations operations() {
        return operations;
    }

    /** API calls made through this fleet's clients so far, per "Service.Action". */
    public ApiCallCounter apiCalls() {
        return apiCalls;
    }

    public OperationStore store() {
        return store;
    }

    @Override
    public void close() {
        releases.close();
        s3Multipart.close();
        ssm.close();
        elbv2.close();
        autoScaling.close();
        s3.close();
    }
}
