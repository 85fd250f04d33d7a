package io.fleetdeploy.core.schema;

/**
 * One flipSchemaKey call: move the app's key from {@code expect} to {@code to}.
 *
 * @param changedBy who flips: the build URL, or user@host; recorded in the history
 * @param note      free text for the history (why); may be null
 */
public record FlipRequest(String app, KeyExpectation expect, String to, String changedBy, String note) {
}
