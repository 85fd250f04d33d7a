package io.fleetdeploy.core.fleet;

import io.fleetdeploy.core.FleetDeployException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The batch math of a push rollout, pure: how many instances must keep serving, how large a batch
 * may be, and which instances go in which batch. minHealthyPercent and batchPercent count the whole
 * group's InService instances, also when only part of the group is rolled out.
 *
 * @param required instances that must serve healthy at every moment
 * @param skipped  selected instances that already run the version: they are left alone
 */
public record BatchPlan(int groupSize, int required, int batchSize, List<List<String>> batches, List<String> skipped) {

    public BatchPlan {
        batches = List.copyOf(batches);
        skipped = List.copyOf(skipped);
    }

    /** Instances the plan moves. */
    public int moved() {
        return batches.stream().mapToInt(List::size).sum();
    }

    /** Plans the request over the group's InService instances, skipping those that already run the version. */
    public static BatchPlan of(RolloutRequest r, List<String> inService, Collection<String> alreadyOnVersion) {
        List<String> selected = select(r.group(), inService, alreadyOnVersion, r.instanceCount(), r.instanceIds());
        return of(r.group(), inService, selected, alreadyOnVersion, r.batchSize(), r.batchPercent(), r.minHealthyPercent(), r.canary());
    }

    /**
     * The instances a rollout targets: all InService ones; or the first {@code count} (sorted) that do not run the
     * version yet; or the named ones, each of which must be InService in the group.
     */
    static List<String> select(String group, List<String> inService, Collection<String> alreadyOnVersion, Integer count, List<String> ids) {
        int n = inService.size();
        if (count != null && (count < 1 || count > n)) {
            throw FleetDeployException.invalidInput("instanceCount " + count + " is outside 1.." + n + " for group " + group + " ("
                    + n + " InService instance(s)).", "Give an instanceCount from 1 to " + n + ".");
        }
        if (ids != null && !ids.isEmpty()) {
            List<String> unknown = ids.stream().filter(id -> !inService.contains(id)).toList();
            if (!unknown.isEmpty()) {
                throw FleetDeployException.invalidInput("Not InService in group " + group + ": " + String.join(", ", unknown) + ".",
                        "Name InService instances of the group (fleet-deploy drain or the AWS console list them), or give instanceCount.");
            }
            return ids.stream().sorted().toList();
        }
        List<String> sorted = inService.stream().sorted().toList();
        if (count == null) {
            return sorted;
        }
        List<String> todo = sorted.stream().filter(id -> !alreadyOnVersion.contains(id)).limit(count).toList();
        return todo.isEmpty() ? sorted.subList(0, count) : todo;
    }

    public static int required(int groupSize, int minHealthyPercent) {
        return (int) Math.ceil(groupSize * minHealthyPercent / 100.0);
    }

    /** Plans the batches over all InService instances (sorted, so a resumed plan is the same plan). */
    public static BatchPlan of(String group, List<String> inService, Integer batchSize, Integer batchPercent,
                               Integer minHealthyPercent, boolean canary) {
        return of(group, inService, inService, List.of(), batchSize, batchPercent, minHealthyPercent, canary);
    }

    private static BatchPlan of(String group, List<String> inService, List<String> selected, Collection<String> alreadyOnVersion,
                                Integer batchSize, Integer batchPercent, Integer minHealthyPercent, boolean canary) {
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
        List<String> sorted = selected.stream().filter(id -> !alreadyOnVersion.contains(id)).sorted().toList();
        List<String> skipped = selected.stream().filter(alreadyOnVersion::contains).sorted().toList();
        int m = sorted.size();
        List<List<String>> batches = new ArrayList<>();
        int from = 0;
        if (canary && m > 1) {
            batches.add(List.of(sorted.get(0)));
            from = 1;
        }
        for (int i = from; i < m; i += size) {
            batches.add(List.copyOf(sorted.subList(i, Math.min(m, i + size))));
        }
        return new BatchPlan(n, required, size, batches, skipped);
    }
}
