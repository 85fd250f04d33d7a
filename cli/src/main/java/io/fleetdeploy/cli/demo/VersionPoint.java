package io.fleetdeploy.cli.demo;

/**
 * What one instance ran at one moment (milliseconds since the run's start): its release version
 * (null: none installed) and its Auto Scaling lifecycle state (Pending, InService, Standby, ...; null: gone).
 */
public record VersionPoint(long atMillis, String instanceId, String group, String version, String lifecycle) {
}
