package io.fleetdeploy.core.fleet;

import java.util.List;

/**
 * A listener's (or rule's) forward action exactly as found, so switching back restores it exactly:
 * the target groups with their weights and the group stickiness settings.
 *
 * @param singleTarget true when it was written as a plain TargetGroupArn, not a ForwardConfig
 */
public record ForwardConfig(List<WeightedTarget> targets, boolean singleTarget, Boolean stickinessEnabled,
                            Integer stickinessSeconds) {

    public ForwardConfig {
        targets = List.copyOf(targets);
    }

    public record WeightedTarget(String targetGroupArn, int weight) {
    }

    /** True when every request goes to {@code targetGroupArn} (the other target groups have weight 0). */
    public boolean allTo(String targetGroupArn) {
        return targets.stream().allMatch(t -> t.targetGroupArn().equals(targetGroupArn) || t.weight() == 0)
                && targets.stream().anyMatch(t -> t.targetGroupArn().equals(targetGroupArn) && t.weight() > 0);
    }

    public static ForwardConfig single(String targetGroupArn) {
        return new ForwardConfig(List.of(new WeightedTarget(targetGroupArn, 1)), true, null, null);
    }

    /**
     * Sends {@code percentToNew} percent to {@code to} and the rest to {@code from}; the stickiness is kept.
     * At 100 the old group stays in the action at weight 0 (no traffic), so the action keeps its shape
     * and moving back is a weight change, restored exactly.
     */
    public ForwardConfig weighted(String from, String to, int percentToNew) {
        if (from.equals(to)) {
            return new ForwardConfig(List.of(new WeightedTarget(to, 1)), true, stickinessEnabled, stickinessSeconds);
        }
        return new ForwardConfig(List.of(new WeightedTarget(from, 100 - percentToNew), new WeightedTarget(to, percentToNew)),
                false, stickinessEnabled, stickinessSeconds);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("forward to ");
        for (int i = 0; i < targets.size(); i++) {
            WeightedTarget target = targets.get(i);
            out.append(i == 0 ? "" : ", ").append(shortName(target.targetGroupArn()));
            if (!singleTarget) {
                out.append(" weight ").append(target.weight());
            }
        }
        return out.toString();
    }

    static String shortName(String arn) {
        int slash = arn.indexOf(":targetgroup/");
        if (slash < 0) {
            return arn;
        }
        String rest = arn.substring(slash + ":targetgroup/".length());
        int end = rest.indexOf('/');
        return end < 0 ? rest : rest.substring(0, end);
    }
}
