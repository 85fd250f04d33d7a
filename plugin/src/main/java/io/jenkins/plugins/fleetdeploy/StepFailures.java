package io.jenkins.plugins.fleetdeploy;

import hudson.AbortException;
import io.fleetdeploy.core.FleetDeployException;

/** How a fleet step fails in the build log: the engine's three-part message, without a stack trace. */
public final class StepFailures {

    private StepFailures() {
    }

    public static AbortException abort(FleetDeployException e) {
        AbortException abort = new AbortException(e.getMessage());
        abort.initCause(e);
        return abort;
    }
}
