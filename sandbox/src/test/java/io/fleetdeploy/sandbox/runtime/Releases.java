package io.fleetdeploy.sandbox.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Installs releases into an instance's directory the way the agent does: unpack, then move the current link. */
final class Releases {
    private Releases() {
    }

    static void install(Path home, String version, String schemaKey, boolean healthy) throws IOException {
        Path dir = Files.createDirectories(home.resolve("releases").resolve(version));
        Files.writeString(dir.resolve("app.properties"), "version=" + version + "\n"
                + (schemaKey == null ? "" : "schemaKey=" + schemaKey + "\n")
                + (healthy ? "" : "healthy=false\n"));
        Path link = home.resolve("current.tmp");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of("releases", version));
        Files.move(link, home.resolve("current"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
