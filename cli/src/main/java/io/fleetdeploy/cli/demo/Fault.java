package io.fleetdeploy.cli.demo;

/** What --fault injects into the deploy of v2. */
public enum Fault {
    /** v2 starts but fails its health check: the health gate must stop it and roll back. */
    BAD_RELEASE("bad-release"),
    /** an instance of the group being changed is terminated a few seconds into the first rollout. */
    KILL_INSTANCE("kill-instance"),
    /** 20 % of the AWS API calls are throttled while v2 is deployed (the SDK's retries must absorb it). */
    THROTTLE("throttle");

    private final String label;

    Fault(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Fault parse(String value) {
        for (Fault fault : values()) {
            if (fault.label.equals(value)) {
                return fault;
            }
        }
        throw new IllegalArgumentException("--fault " + value + " is not one of bad-release, kill-instance, throttle");
    }
}
