package io.fleetdeploy.core.operation;

/**
 * The outcome of one try at a group's lease: either {@code lease} is ours now, or {@code heldBy}
 * names who holds it and until when (a live lease of another operation, and no force).
 */
public record LeaseAttempt(Lease lease, Lease heldBy) {

    public LeaseAttempt {
        if ((lease == null) == (heldBy == null)) {
            throw new IllegalArgumentException("a lease attempt either holds the lease or names its holder");
        }
    }

    public boolean held() {
        return lease != null;
    }
}
