package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.operation.OnFailure;
import java.time.Duration;
import java.util.List;

/**
 * drainGroup: which instances (all when count, percent and instanceIds are all unset), how
 * ({@code standby} by default, {@code deregister} from the target groups only, or {@code scaleToZero}
 * to retire a group), the bound of the wait, and {@code restore} to put back the group's last drain.
 */
public record DrainRequest(String group, Integer count, Integer percent, List<String> instanceIds, Mode mode,
                           Duration timeout, OnFailure onFailure, boolean restore) {

    public enum Mode { STANDBY, DEREGISTER, SCALE_TO_ZERO }

    public DrainRequest {
        instanceIds = instanceIds == null ? List.of() : List.copyOf(instanceIds);
        mode = mode == null ? Mode.STANDBY : mode;
        timeout = timeout == null ? Duration.ofMinutes(10) : timeout;
        onFailure = onFailure == null ? OnFailure.ROLLBACK : onFailure;
    }

    public static DrainRequest all(String group) {
        return new DrainRequest(group, null, null, null, null, null, null, false);
    }

    public DrainRequest checked() {
        Names.requireSafe("group", group);
        int selectors = (count != null ? 1 : 0) + (percent != null ? 1 : 0) + (instanceIds.isEmpty() ? 0 : 1);
        if (selectors > 1) {
            throw FleetDeployException.invalidInput("More than one of count, percent and instanceIds was given.", "Give at most one.");
        }
        if (count != null && count < 1) {
            throw FleetDeployException.invalidInput("count " + count + " is not allowed.", "Give a count of 1 or more.");
        }
        if (percent != null && (percent < 1 || percent > 100)) {
            throw FleetDeployException.invalidInput("percent " + percent + " is outside 1..100.", "Give a percent from 1 to 100.");
        }
        instanceIds.forEach(id -> Names.requireSafe("instance id", id));
        if (mode == Mode.SCALE_TO_ZERO && selectors > 0) {
            throw FleetDeployException.invalidInput("scaleToZero retires the whole group; count, percent and instanceIds do not apply.",
                    "Leave them out, or use mode standby or deregister.");
        }
        RolloutRequest.requirePositive("timeout", timeout);
        return this;
    }

    /** The instances this drain takes out of the InService ones (sorted), checked against the group. */
    public List<String> select(List<String> inService) {
        if (!instanceIds.isEmpty()) {
            List<String> unknown = instanceIds.stream().filter(id -> !inService.contains(id)).toList();
            if (!unknown.isEmpty()) {
                throw FleetDeployException.invalidInput("Instance(s) " + String.join(", ", unknown) + " are not InService in group " + group + ".",
                        "Give InService instances of the group (InService now: " + String.join(", ", inService) + ").");
            }
            return instanceIds.stream().sorted().toList();
        }
        int n = count != null ? count : percent != null ? (int) Math.ceil(inService.size() * percent / 100.0) : inService.size();
        if (n > inService.size()) {
            throw FleetDeployException.invalidInput("count " + n + " is more than the " + inService.size() + " InService instances of group " + group + ".",
                    "Give a count of at most " + inService.size() + ".");
        }
        return inService.stream().sorted().limit(n).toList();
    }
}
