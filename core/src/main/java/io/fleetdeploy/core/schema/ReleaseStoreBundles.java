package io.fleetdeploy.core.schema;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.release.Manifest;
import io.fleetdeploy.core.release.Releases;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Objects;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Release bundles for migrateSchema from the release store: downloads a published version with
 * {@link Releases#downloadBundle} (which checks sha256 and size against the manifest) and
 * unpacks it into a private temporary directory, removed on {@link #close()}.
 */
public final class ReleaseStoreBundles implements ReleaseBundleSource, AutoCloseable {

    private final Releases releases;
    private final Path workDirectory;

    public ReleaseStoreBundles(Releases releases) {
        this.releases = Objects.requireNonNull(releases, "releases");
        try {
            this.workDirectory = Files.createTempDirectory("fleet-deploy-migrations");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public VerifiedBundle fetch(String app, String version) {
        Names.requireSafe("version", version);
        if (!releases.layout().app().equals(app)) {
            throw FleetDeployException.invalidInput(
                    "The release store is that of app '" + releases.layout().app() + "', not of '" + app + "'.",
                    "Migrate with the app the releases were published for.");
        }
        Path directory = workDirectory.resolve(version);
        Path archive = directory.resolve("bundle.tar.gz");
        Path root = directory.resolve("bundle");
        Manifest manifest = releases.downloadBundle(version, archive);
        unpack(archive, root);
        return new VerifiedBundle(root, manifest.migrations() == null ? Manifest.DEFAULT_MIGRATIONS : manifest.migrations());
    }

    /** Regular files and directories only; an entry that would land outside {@code root} is refused. */
    static void unpack(Path archive, Path root) {
        try (InputStream file = Files.newInputStream(archive);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(new BufferedInputStream(file)))) {
            Files.createDirectories(root);
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                Path target = root.resolve(entry.getName()).normalize();
                if (!target.startsWith(root)) {
                    throw new FleetDeployException("The bundle " + archive.getFileName() + " has an entry outside its root: "
                            + entry.getName() + ".", "Nothing was changed in the database.",
                            "Publish the release again from a normal build directory.");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                } else if (entry.isFile()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new FleetDeployException("Unpacking the release bundle " + archive + " failed: " + e.getMessage(),
                    "Nothing was changed in the database.", "Check the disk space of the temporary directory, then run again.", e);
        }
    }

    @Override
    public void close() {
        try (Stream<Path> paths = Files.walk(workDirectory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not remove " + workDirectory, e);
        }
    }
}
