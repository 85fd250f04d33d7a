package io.jenkins.plugins.fleetdeploy;

import com.cloudbees.jenkins.plugins.awscredentials.AWSCredentialsImpl;
import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import io.fleetdeploy.core.testing.EmbeddedS3Proxy;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.jenkinsci.plugins.workflow.test.steps.SemaphoreStep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jvnet.hudson.test.junit.jupiter.JenkinsSessionExtension;

/**
 * A build paused inside withFleet survives a controller restart: the block's settings are saved
 * with the Pipeline and the fleet step after the restart still works where the block said.
 */
class WithFleetRestartTest {

    @RegisterExtension
    private final JenkinsSessionExtension sessions = new JenkinsSessionExtension();

    @Test
    void withFleetSettingsSurviveARestart() throws Throwable {
        try (EmbeddedS3Proxy s3 = EmbeddedS3Proxy.startTransient()) {
            try (var client = s3.newClient()) {
                client.createBucket(b -> b.bucket("releases"));
            }
            sessions.then(r -> {
                SystemCredentialsProvider.getInstance().getCredentials().add(
                        new AWSCredentialsImpl(CredentialsScope.GLOBAL, "deployer", s3.accessKey(), s3.secretKey(), "test keys"));
                SystemCredentialsProvider.getInstance().save();
                WorkflowJob p = r.createProject(WorkflowJob.class, "shop");
                p.setDefinition(new CpsFlowDefinition("node {\n"
                        + "  writeFile file: 'dist/app.txt', text: 'hello'\n"
                        + "  withFleet(credentialsId: 'deployer', region: 'us-east-1', endpoint: '" + s3.endpoint()
                        + "', bucket: 'releases', app: 'shop') {\n"
                        + "    semaphore 'wait'\n"
                        + "    def rel = publishRelease path: 'dist', version: '1.0.0'\n"
                        + "    echo \"published ${rel.version} to ${rel.bucket}\"\n"
                        + "  }\n}\n", true));
                WorkflowRun b = p.scheduleBuild2(0).waitForStart();
                SemaphoreStep.waitForStart("wait/1", b);
            });
            sessions.then(r -> {
                WorkflowRun b = r.jenkins.getItemByFullName("shop", WorkflowJob.class).getBuildByNumber(1);
                SemaphoreStep.success("wait/1", null);
                r.waitForCompletion(b);
                r.assertBuildStatusSuccess(b);
                r.assertLogContains("published 1.0.0 to releases", b);
            });
        }
    }
}
