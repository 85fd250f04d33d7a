package io.jenkins.plugins.fleetdeploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.cloudbees.jenkins.plugins.awscredentials.AWSCredentialsImpl;
import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl;
import hudson.model.Result;
import io.fleetdeploy.core.testing.EmbeddedS3Proxy;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/** publishRelease in a real Jenkins: a sandboxed Pipeline, the AWS Credentials plugin's credential, S3 through S3Proxy. */
@WithJenkins
class PublishReleaseStepTest {

    private EmbeddedS3Proxy s3;
    private String bucket;

    @BeforeEach
    void startS3() {
        s3 = EmbeddedS3Proxy.startTransient();
        bucket = "releases";
        try (var client = s3.newClient()) {
            client.createBucket(b -> b.bucket(bucket));
        }
    }

    @AfterEach
    void stopS3() {
        s3.close();
    }

    private String fleet(String credentialsId) {
        return "withFleet(credentialsId: '" + credentialsId + "', region: 'us-east-1', endpoint: '" + s3.endpoint()
                + "', bucket: '" + bucket + "', app: 'shop')";
    }

    @Test
    void publishesFromTheWorkspaceAndRecordsTheOperation(JenkinsRule r) throws Exception {
        SystemCredentialsProvider.getInstance().getCredentials().add(
                new AWSCredentialsImpl(CredentialsScope.GLOBAL, "deployer", s3.accessKey(), s3.secretKey(), "test keys"));
        WorkflowJob p = r.createProject(WorkflowJob.class, "shop");
        p.setDefinition(new CpsFlowDefinition("node {\n"
                + "  writeFile file: 'dist/app.txt', text: 'hello'\n"
                + "  " + fleet("deployer") + " {\n"
                + "    def rel = publishRelease path: 'dist', version: '1.0.0', channel: 'staging'\n"
                + "    echo \"published ${rel.version} already=${rel.alreadyPublished}\"\n"
                + "  }\n}\n", true));

        WorkflowRun b = r.buildAndAssertSuccess(p);

        r.assertLogContains("published 1.0.0 already=false", b);
        r.assertLogNotContains(s3.secretKey(), b);
        FleetSummaryAction summary = b.getAction(FleetSummaryAction.class);
        assertThat(summary.getOperations()).extracting(FleetOperationRecord::getOutcome).containsExactly("SUCCEEDED");
        try (var client = s3.newClient()) {
            assertThat(client.headObject(h -> h.bucket(bucket).key("shop/releases/1.0.0/manifest.json")).contentLength()).isPositive();
        }
    }

    @Test
    void aCredentialOfAnotherKindFailsTheBuildNamingTheKindThatFits(JenkinsRule r) throws Exception {
        SystemCredentialsProvider.getInstance().getCredentials().add(
                new UsernamePasswordCredentialsImpl(CredentialsScope.GLOBAL, "db", "a database login", "flyway", "db-password-123"));
        WorkflowJob p = r.createProject(WorkflowJob.class, "shop");
        p.setDefinition(new CpsFlowDefinition("node {\n  " + fleet("db") + " {\n"
                + "    publishRelease path: 'dist', version: '1.0.0'\n  }\n}\n", true));

        WorkflowRun b = r.buildAndAssertStatus(Result.FAILURE, p);

        r.assertLogContains("The credential 'db' is a UsernamePasswordCredentialsImpl", b);
        r.assertLogContains("'AWS Credentials'", b);
        r.assertLogNotContains("db-password-123", b);
    }

    @Test
    void aMisspeltArgumentIsReportedByDescribableModel(JenkinsRule r) throws Exception {
        WorkflowJob p = r.createProject(WorkflowJob.class, "shop");
        p.setDefinition(new CpsFlowDefinition("node {\n  writeFile file: 'dist/app.txt', text: 'x'\n"
                + "  publishRelease path: 'dist', version: '1.0.0', chanel: 'staging', bucket: 'b', app: 'shop',"
                + " region: 'us-east-1', endpoint: 'http://127.0.0.1:9'\n}\n", true));

        WorkflowRun b = r.buildAndAssertStatus(Result.FAILURE, p);

        r.assertLogContains("Unknown parameter(s) found for class type 'io.jenkins.plugins.fleetdeploy.steps.PublishReleaseStep': chanel", b);
    }
}
