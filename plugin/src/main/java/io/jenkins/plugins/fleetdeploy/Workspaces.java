package io.jenkins.plugins.fleetdeploy;

import hudson.FilePath;
import io.fleetdeploy.core.FleetDeployException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The engine runs on the controller; a build's files may be on an agent. These bring them over. */
public final class Workspaces {

    private Workspaces() {
    }

    /** The workspace file or directory at {@code path}, or an error naming the argument it came from. */
    public static FilePath existing(FilePath workspace, String path, String argument) throws IOException, InterruptedException {
        FilePath source = workspace.child(path);
        if (!source.exists()) {
            throw FleetDeployException.invalidInput("Nothing at " + source.getRemote() + " (" + argument + ": '" + path + "').",
                    "Build it first, or correct " + argument + ": (it is relative to the workspace).");
        }
        return source;
    }

    /** Copies a workspace file or directory into {@code local} (a controller directory) and returns the copy. */
    public static Path copyToController(FilePath source, Path local) throws IOException, InterruptedException {
        if (source.isDirectory()) {
            Path dir = Files.createDirectory(local.resolve("content"));
            source.copyRecursiveTo(new FilePath(dir.toFile()));
            return dir;
        }
        Path file = local.resolve(source.getName());
        source.copyTo(new FilePath(file.toFile()));
        return file;
    }

    public static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
