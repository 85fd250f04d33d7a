package io.jenkins.plugins.fleetdeploy;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One fleet step as the build summary shows it: what it did, to which group or app, with which
 * release, how it ended, how long it took, and its batches. A plain class, not a record: it is
 * stored in build.xml by Jenkins' XStream.
 */
public final class FleetOperationRecord implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String step;
    private final String target;
    private final String release;
    private final String outcome;
    private final String detail;
    private final long startedMillis;
    private final long durationMillis;
    private final List<Batch> batches;

    public FleetOperationRecord(String step, String target, String release, String outcome, String detail,
                                long startedMillis, long durationMillis, List<Batch> batches) {
        this.step = step;
        this.target = target;
        this.release = release;
        this.outcome = outcome;
        this.detail = detail;
        this.startedMillis = startedMillis;
        this.durationMillis = durationMillis;
        this.batches = new ArrayList<>(batches);
    }

    public String getStep() {
        return step;
    }

    public String getTarget() {
        return target;
    }

    public String getRelease() {
        return release;
    }

    /** SUCCEEDED, UNCHANGED (nothing to do), FAILED, ABORTED or UNDONE (failed and rolled back). */
    public String getOutcome() {
        return outcome;
    }

    public String getDetail() {
        return detail;
    }

    public long getStartedMillis() {
        return startedMillis;
    }

    public long getDurationMillis() {
        return durationMillis;
    }

    public String getDuration() {
        long seconds = durationMillis / 1000;
        return seconds < 60 ? (durationMillis < 1000 ? durationMillis + " ms" : seconds + " s")
                : seconds / 60 + " min " + seconds % 60 + " s";
    }

    public List<Batch> getBatches() {
        return List.copyOf(batches);
    }

    /** One batch of a rollout or drain: which instances, how it ended, how long it took. */
    public static final class Batch implements Serializable {
        private static final long serialVersionUID = 1L;

        private final String name;
        private final String instances;
        private final String outcome;
        private final long durationMillis;

        public Batch(String name, String instances, String outcome, long durationMillis) {
            this.name = name;
            this.instances = instances;
            this.outcome = outcome;
            this.durationMillis = durationMillis;
        }

        public String getName() {
            return name;
        }

        public String getInstances() {
            return instances;
        }

        public String getOutcome() {
            return outcome;
        }

        public long getDurationMillis() {
            return durationMillis;
        }
    }
}
