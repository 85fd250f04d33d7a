package io.fleetdeploy.core.schema;

import java.time.Instant;

/** The schema key an app's nodes must match to do work, and who set it when. */
public record SchemaKeyState(String app, String schemaKey, Instant updatedAt, String updatedBy, String note) {
}
