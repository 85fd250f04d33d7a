package io.fleetdeploy.core.fleet;

import java.time.Instant;

/** What the agent wrote to {@code status/<group>/<instance-id>.json}. */
public record InstanceStatus(String instanceId, String group, String app, String version, String sha256,
                             Instant time, String result, String message) {

    public boolean runs(String wanted) {
        return wanted.equals(version) && "installed".equals(result);
    }

    public boolean failed() {
        return "failed".equals(result) || "rolled-back".equals(result);
    }
}
