package io.jenkins.plugins.fleetdeploy.steps;

import hudson.EnvVars;
import hudson.model.Run;
import hudson.model.TaskListener;
import io.jenkins.plugins.fleetdeploy.FleetConnection;
import io.jenkins.plugins.fleetdeploy.FleetSettings;
import java.io.IOException;
import org.jenkinsci.plugins.workflow.steps.StepContext;

/** What every fleet step does first: merge its arguments over withFleet's and connect. */
final class FleetSteps {

    private FleetSteps() {
    }

    /** The enclosing withFleet settings with the step's own arguments laid over them. */
    static FleetSettings effective(StepContext context, FleetStep step) throws IOException, InterruptedException {
        FleetSettings outer = context.get(FleetSettings.class);
        return (outer != null ? outer : FleetSettings.none()).overriddenBy(step.ownSettings());
    }

    static FleetConnection connect(StepContext context, FleetSettings settings) throws IOException, InterruptedException {
        return FleetConnection.open(settings, context.get(Run.class), context.get(EnvVars.class));
    }

    /** Fails early when withFleet names a credential that does not exist or is of the wrong kind. */
    static void checkCredentialUsable(FleetSettings settings, Run<?, ?> run) {
        if (settings.getCredentialsId() != null) {
            FleetConnection.checkAwsCredential(settings.getCredentialsId(), run);
        }
    }

    static String describe(FleetSettings s) {
        StringBuilder out = new StringBuilder();
        append(out, "app", s.getApp());
        append(out, "bucket", s.getBucket());
        append(out, "prefix", s.getPrefix());
        append(out, "region", s.getRegion());
        append(out, "endpoint", s.getEndpoint());
        append(out, "s3Endpoint", s.getS3Endpoint());
        append(out, "credentialsId", s.getCredentialsId());
        append(out, "roleArn", s.getRoleArn());
        return out.length() == 0 ? "(defaults)" : out.toString();
    }

    static void log(StepContext context, String line) throws IOException, InterruptedException {
        context.get(TaskListener.class).getLogger().println("[fleet-deploy] " + line);
    }

    private static void append(StringBuilder out, String name, String value) {
        if (value != null) {
            out.append(out.length() == 0 ? "" : ", ").append(name).append('=').append(value);
        }
    }
}
