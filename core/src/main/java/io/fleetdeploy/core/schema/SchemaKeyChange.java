package io.fleetdeploy.core.schema;

import java.time.Instant;

/**
 * One flip in the history.
 *
 * @param fromKey null for the first key of an app
 * @param forced  whether the flip was made without an expected key
 */
public record SchemaKeyChange(long id, String app, String fromKey, String toKey, Instant changedAt, String changedBy, String note, boolean forced) {
}
