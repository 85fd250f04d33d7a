package io.fleetdeploy.cli.demo;

/**
 * One step of a pipeline as the demo ran it (milliseconds since the run's start).
 *
 * @param outcome SUCCEEDED, ROLLED_BACK, FAILED, ... (an operation's final status, or of a plain step)
 * @param detail  the operation id, or what the step did
 */
public record Phase(String name, long startMillis, long endMillis, String outcome, String detail) {

    public long durationMillis() {
        return endMillis - startMillis;
    }

    public boolean succeeded() {
        return "SUCCEEDED".equals(outcome);
    }
}
