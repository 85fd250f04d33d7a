package io.jenkins.plugins.fleetdeploy.offline;

import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.sandbox.Sandbox;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import io.jenkins.plugins.fleetdeploy.harness.TestAwsCredentials;
import java.nio.file.Path;
import java.time.Duration;

/** Jenkinsfiles run against core's {@link SandboxFleet}: its deployer's keys as a credential, withFleet pointed at it. */
final class SandboxFleetPipelines {

    private final SandboxFleet fleet;

    SandboxFleetPipelines(SandboxFleet fleet) {
        this.fleet = fleet;
    }

    /** A controller whose credential 'deployer' holds the sandbox's keys; each step may take {@code stepTimeout}. */
    PipelineHarness jenkins(Path dir, Duration stepTimeout) {
        return new PipelineHarness(dir).stepTimeout(stepTimeout)
                .credentials(new TestAwsCredentials("deployer", accessKey(), secretKey()));
    }

    String secretKey() {
        return fleet.credentialsEnvironment().get("AWS_SECRET_ACCESS_KEY");
    }

    private String accessKey() {
        return fleet.credentialsEnvironment().get("AWS_ACCESS_KEY_ID");
    }

    /** A Jenkinsfile whose {@code steps} run inside withFleet pointed at the sandbox (its S3 on its own endpoint). */
    String withFleet(String steps) {
        Sandbox sandbox = fleet.sandbox();
        return "withFleet(credentialsId: 'deployer', region: '" + sandbox.region() + "', endpoint: '" + sandbox.awsEndpoint()
                + "', s3Endpoint: '" + sandbox.s3Endpoint() + "', bucket: '" + sandbox.bucket() + "', prefix: '" + sandbox.prefix()
                + "', app: '" + SandboxFleet.APP + "') {\n" + steps + "}\n";
    }
}
