package io.jenkins.plugins.fleetdeploy.steps;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.operation.OnFailure;
import java.time.Duration;
import org.kohsuke.stapler.DataBoundSetter;

/** The arguments of the long fleet steps (drainGroup, rolloutGroup, switchTraffic): bounds and what to do on failure. */
public abstract class FleetOperationStep extends FleetStep {

    private Integer timeoutMinutes;
    private String onFailure;
    private Integer pollSeconds;
    private Integer waitForLeaseMinutes;
    private boolean force;

    Duration timeout() {
        return timeoutMinutes == null ? null : Duration.ofMinutes(timeoutMinutes);
    }

    Duration pollInterval() {
        return Duration.ofSeconds(pollSeconds == null ? 5 : pollSeconds);
    }

    /** How long to wait for another operation's live lease on the group; zero (the default): fail at once naming it. */
    Duration waitForLease() {
        return waitForLeaseMinutes == null ? Duration.ZERO : Duration.ofMinutes(waitForLeaseMinutes);
    }

    OnFailure failureMode() {
        if (onFailure != null && !onFailure.isBlank() && !onFailure.equalsIgnoreCase("rollback") && !onFailure.equalsIgnoreCase("halt")) {
            throw FleetDeployException.invalidInput("onFailure '" + onFailure + "' is not known.",
                    "Use 'rollback' (the default: put back everything this step changed) or 'halt' (leave it for an operator).");
        }
        return OnFailure.parse(onFailure);
    }

    void checkBounds() {
        if (timeoutMinutes != null && timeoutMinutes < 1) {
            throw FleetDeployException.invalidInput("timeoutMinutes " + timeoutMinutes + " is not allowed.", "Give 1 or more minutes.");
        }
        if (pollSeconds != null && (pollSeconds < 1 || pollSeconds > 300)) {
            throw FleetDeployException.invalidInput("pollSeconds " + pollSeconds + " is outside 1..300.", "Give 1 to 300 seconds.");
        }
        if (waitForLeaseMinutes != null && waitForLeaseMinutes < 0) {
            throw FleetDeployException.invalidInput("waitForLeaseMinutes " + waitForLeaseMinutes + " is negative.",
                    "Give 0 (fail at once when another operation holds the group) or more minutes to wait for it.");
        }
        failureMode();
    }

    public Integer getTimeoutMinutes() {
        return timeoutMinutes;
    }

    @DataBoundSetter
    public void setTimeoutMinutes(Integer timeoutMinutes) {
        this.timeoutMinutes = timeoutMinutes;
    }

    public String getOnFailure() {
        return onFailure;
    }

    @DataBoundSetter
    public void setOnFailure(String onFailure) {
        this.onFailure = onFailure;
    }

    public Integer getPollSeconds() {
        return pollSeconds;
    }

    @DataBoundSetter
    public void setPollSeconds(Integer pollSeconds) {
        this.pollSeconds = pollSeconds;
    }

    public Integer getWaitForLeaseMinutes() {
        return waitForLeaseMinutes;
    }

    @DataBoundSetter
    public void setWaitForLeaseMinutes(Integer waitForLeaseMinutes) {
        this.waitForLeaseMinutes = waitForLeaseMinutes;
    }

    public boolean isForce() {
        return force;
    }

    @DataBoundSetter
    public void setForce(boolean force) {
        this.force = force;
    }
}
