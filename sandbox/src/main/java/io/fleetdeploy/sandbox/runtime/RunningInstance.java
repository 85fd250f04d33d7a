package io.fleetdeploy.sandbox.runtime;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A sandbox instance: a directory (its disk, where the agent unpacks releases and points {@code current}
 * at one) and an HTTP server on its own loopback port.
 *
 * <p>HTTP: {@code GET /health} answers 200 when a release is current and healthy, 500 while a health
 * fault is set, 503 otherwise. Any other path answers 200 {@code "<id> <version>"} with headers
 * X-Instance-Id, X-App-Version, X-Code-Schema-Key and X-Db-Schema-Key (when the database has a key for
 * the app). A node whose code key differs from the database's forwards the request to a running node of
 * the same app whose key matches, or answers 503 when there is none. A query parameter
 * {@code delayMs=N} (at most 60000) delays the answer, to model slow requests.
 */
public interface RunningInstance {
    String id();

    String app();

    Path home();

    int port();

    URI endpoint();

    Map<String, String> env();

    /** {@code version=} of home/current/app.properties; empty while no release is installed. */
    Optional<String> currentVersion();

    /** {@code schemaKey=} of home/current/app.properties. */
    Optional<String> codeSchemaKey();

    /** While set, /health answers 500. */
    void setHealthFault(boolean failing);

    boolean healthFault();

    boolean running();
}
