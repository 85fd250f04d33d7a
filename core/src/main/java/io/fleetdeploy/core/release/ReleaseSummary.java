package io.fleetdeploy.core.release;

import java.time.Instant;

/** One published release in a listing: its version and when its manifest was written. */
public record ReleaseSummary(String version, Instant published) {
}
