package io.fleetdeploy.core.release;

import java.util.List;
import java.util.Set;

/**
 * @param kept      versions kept, newest first
 * @param deleted   versions deleted (or, on a dry run, that would be)
 * @param pinned    versions kept because a channel points at them now or pointed at them before its last move
 */
public record PruneResult(List<String> kept, List<String> deleted, Set<String> pinned, boolean dryRun) {
}
