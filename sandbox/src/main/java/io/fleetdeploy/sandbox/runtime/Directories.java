package io.fleetdeploy.sandbox.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing the sandbox's own temporary trees. */
final class Directories {
    private Directories() {
    }

    /** Deletes {@code root} and everything under it, as far as it can; a missing root is fine. */
    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // What could not be removed stays behind in a temporary directory, for the OS to clean.
        }
    }
}
