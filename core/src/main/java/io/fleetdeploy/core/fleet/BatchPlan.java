package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch math of a push rollout, pure: how many instances must keep serving, how large a batch
 * may be, and which instances go in which batch.
 *
 * @param required instances that must serve healthy at every moment
 */
public record BatchPlan(int groupSize, int required, int batchSize, List<List<String>> batches) {

    public static int required(int groupSize, int minHealthyPercent) {
        return (int) Math.ceil(groupSize * minHealthyPercent / 100.0);
    }

    /** Plans the batches over the InService instances (sorted, so a resumed plan is the same plan). */
    public static BatchPlan of(String group, List<String> inService, Integer batchSize, Integer batchPercent,
                               Integer minHealthyPercent, boolean canary) {
        int n = inService.size();
        if (n == 0) {
            throw FleetDeployException.invalidInput("Group " + group + " has no InService instances to roll out to.",
                    "Scale the group up, or use a replace rollout for an idle group.");
        }
        int size;
        int required;
        if (minHealthyPercent == null) {
            size = batchSize != null ? batchSize : batchPercent != null ? Math.max(1, n * batchPercent / 100) : 1;
            required = Math.max(0, n - size);
        } else {
            required = required(n, minHealthyPercent);
            int room = n - required;
            if (room < 1) {
                throw FleetDeployException.invalidInput(
                        "minHealthyPercent " + minHealthyPercent + " is impossible for group " + group + " with " + n
                                + " InService instance(s): " + required + " must keep serving, so no instance can be taken out.",
                        "Lower minHealthyPercent to at most " + (100 * (n - 1) / n) + ", or use a replace rollout.");
            }
            size = batchSize != null ? batchSize : batchPercent != null ? Math.max(1, n * batchPercent / 100) : room;
            if (size > room) {
                throw FleetDeployException.invalidInput(
                        "A batch of " + size + " would leave " + (n - size) + " of " + n + " instances of group " + group
                                + " serving, below minHealthyPercent " + minHealthyPercent + " (" + required + " needed).",
                        "Use a batch of at most " + room + ", or lower minHealthyPercent.");
            }
        }
        if (size > n) {
            throw FleetDeployException.invalidInput(
                    "A batch of " + size + " is larger than group " + group + " (" + n + " InService instances).",
                    "Use a batch of at most " + n + ".");
        }
        List<String> sorted = inService.stream().sorted().toList();
        List<List<String>> batches = new ArrayList<>();
        int from = 0;
        if (canary && n > 1) {
            batches.add(List.of(sorted.get(0)));
            from = 1;
        }
        for (int i = from; i < n; i += size) {
            batches.add(List.copyOf(sorted.subList(i, Math.min(n, i + size))));
        }
        return new BatchPlan(n, required, size, List.copyOf(batches));
    }
}
