package io.fleetdeploy.core.release;

import java.util.List;

/**
 * @param releases   published releases, newest first
 * @param incomplete versions with a bundle but no manifest (an interrupted publish, or another
 *                   client's upload): not releases, never pointed at, left alone by prune
 */
public record ReleaseListing(List<ReleaseSummary> releases, List<String> incomplete) {
}
