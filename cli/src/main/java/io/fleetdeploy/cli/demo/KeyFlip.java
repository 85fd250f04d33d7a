package io.fleetdeploy.cli.demo;

/**
 * A schema key flip: the compare-and-set committed at some moment between {@code beforeMillis} (the
 * call was made) and {@code afterMillis} (it returned), milliseconds since the run's start.
 */
public record KeyFlip(String from, String to, long beforeMillis, long afterMillis) {
}
