package io.jenkins.plugins.fleetdeploy;

import com.cloudbees.jenkins.plugins.awscredentials.AWSCredentialsImpl;
import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import io.fleetdeploy.core.testing.SandboxFleet;
import io.fleetdeploy.sandbox.Sandbox;
import java.io.IOException;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jvnet.hudson.test.JenkinsRule;

/**
 * Pipelines in a real Jenkins against core's {@link SandboxFleet}: the sandbox deployer's keys as an
 * AWS Credentials plugin credential, withFleet pointed at the sandbox. The real-harness twin of
 * plugin-offline's SandboxFleetPipelines, so the same Jenkinsfiles run in both.
 */
final class SandboxPipelines {

    static final String CREDENTIALS_ID = "deployer";

    private final SandboxFleet fleet;

    SandboxPipelines(SandboxFleet fleet) {
        this.fleet = fleet;
    }

    /** Stores the deployer's keys as the global credential {@value #CREDENTIALS_ID} of the running controller (saved: it survives a restart). */
    void addCredentials() throws IOException {
        SystemCredentialsProvider.getInstance().getCredentials().add(new AWSCredentialsImpl(CredentialsScope.GLOBAL, CREDENTIALS_ID,
                fleet.credentialsEnvironment().get("AWS_ACCESS_KEY_ID"), secretKey(), "sandbox deployer"));
        SystemCredentialsProvider.getInstance().save();
    }

    /** What no build log may contain. */
    String secretKey() {
        return fleet.credentialsEnvironment().get("AWS_SECRET_ACCESS_KEY");
    }

    /** A Jenkinsfile whose {@code steps} run inside withFleet pointed at the sandbox (its S3 on its own endpoint). */
    String withFleet(String steps) {
        Sandbox sandbox = fleet.sandbox();
        return "withFleet(credentialsId: '" + CREDENTIALS_ID + "', region: '" + sandbox.region() + "', endpoint: '" + sandbox.awsEndpoint()
                + "', s3Endpoint: '" + sandbox.s3Endpoint() + "', bucket: '" + sandbox.bucket() + "', prefix: '" + sandbox.prefix()
                + "', app: '" + SandboxFleet.APP + "') {\n" + steps + "}\n";
    }

    /** A new Pipeline job {@code name} running {@code script} in the Groovy sandbox, as a user's Jenkinsfile runs. */
    static WorkflowJob job(JenkinsRule r, String name, String script) throws IOException {
        WorkflowJob job = r.createProject(WorkflowJob.class, name);
        job.setDefinition(new CpsFlowDefinition(script, true));
        return job;
    }
}
