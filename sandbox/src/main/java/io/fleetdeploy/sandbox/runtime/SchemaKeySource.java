package io.fleetdeploy.sandbox.runtime;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The database's schema key per app (the schema key protocol). */
public interface SchemaKeySource {
    SchemaKeySource NONE = app -> Optional.empty();

    /** The key as last seen, from memory: for reporting, never to decide whether to do work. */
    Optional<String> keyFor(String app);

    /**
     * The key to do one request's work under: completes with the database's key at that moment, which
     * cannot change (a flip waits) until the hold is closed. Without a database: the key from memory.
     */
    default CompletableFuture<KeyHold> hold(String app) {
        return CompletableFuture.completedFuture(KeyHold.unheld(keyFor(app)));
    }

    /** A key held for the length of one request's work; close it when the work is done. */
    interface KeyHold extends AutoCloseable {
        Optional<String> key();

        @Override
        void close();

        /** A key known without holding anything. */
        static KeyHold unheld(Optional<String> key) {
            return new KeyHold() {
                @Override
                public Optional<String> key() {
                    return key;
                }

                @Override
                public void close() {
                    // nothing held
                }
            };
        }
    }
}
