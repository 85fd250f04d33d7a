package io.fleetdeploy.core.release;

import io.fleetdeploy.core.FleetDeployException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/**
 * Packs a directory into a {@code bundle.tar.gz} whose bytes depend only on the tree's paths,
 * contents and executable bits: entries sorted by path, one fixed mtime, owner 0:0 without
 * names, modes 0755 (directories, executables) or 0644, and a gzip header without time or name.
 * So the same build output gives the same sha256, and re-publishing it is a no-op.
 */
public final class BundlePacker {

    /** Fixed for every entry; 2000-01-01 rather than 0, which some unpackers read as "no time". */
    static final Instant FIXED_MTIME = Instant.parse("2000-01-01T00:00:00Z");
    private static final int DIRECTORY_MODE = 040755;
    private static final int EXECUTABLE_MODE = 0100755;
    private static final int FILE_MODE = 0100644;

    /** Writes the archive of {@code directory}'s contents (files at the archive root) to {@code target}. */
    public void pack(Path directory, Path target) {
        List<Path> entries = sortedEntries(directory);
        GzipParameters gzip = new GzipParameters();
        gzip.setModificationTime(0);
        gzip.setFileName(null);
        gzip.setOperatingSystem(255); // "unknown": the same header on every machine
        try (OutputStream file = Files.newOutputStream(target);
             GzipCompressorOutputStream gz = new GzipCompressorOutputStream(file, gzip);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(gz, "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            for (Path path : entries) {
                boolean isDirectory = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
                String name = relativeName(directory, path) + (isDirectory ? "/" : "");
                TarArchiveEntry entry = new TarArchiveEntry(name);
                entry.setLastModifiedTime(FileTime.from(FIXED_MTIME));
                entry.setIds(0, 0);
                entry.setNames("", "");
                if (isDirectory) {
                    entry.setMode(DIRECTORY_MODE);
                    tar.putArchiveEntry(entry);
                } else {
                    entry.setMode(Files.isExecutable(path) ? EXECUTABLE_MODE : FILE_MODE);
                    entry.setSize(Files.size(path));
                    tar.putArchiveEntry(entry);
                    Files.copy(path, tar);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new FleetDeployException("Could not pack " + directory + " into " + target + ": " + e.getMessage(),
                    "Nothing was uploaded.", "Check that every file under " + directory + " is readable.", e);
        }
    }

    private static List<Path> sortedEntries(Path directory) {
        List<Path> entries = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(directory)) {
            walk.filter(path -> !path.equals(directory)).forEach(path -> {
                if (Files.isSymbolicLink(path)) {
                    throw FleetDeployException.invalidInput(
                            "The bundle directory contains a symbolic link, " + path + ", which is not packed.",
                            "Replace the link with the file or directory it points at.");
                }
                if (!Files.isDirectory(path) && !Files.isRegularFile(path)) {
                    throw FleetDeployException.invalidInput(
                            "The bundle directory contains " + path + ", which is neither a file nor a directory.",
                            "Remove it from the directory you publish.");
                }
                entries.add(path);
            });
        } catch (IOException | UncheckedIOException e) {
            throw FleetDeployException.invalidInput("Could not read the directory " + directory + ": " + e.getMessage(),
                    "Check that the directory and everything under it is readable.");
        }
        // Sort by the archive name, '/'-separated, so the order does not depend on the platform.
        entries.sort(Comparator.comparing(path -> relativeName(directory, path)));
        return entries;
    }

    private static String relativeName(Path root, Path path) {
        Path relative = root.relativize(path);
        List<String> parts = new ArrayList<>();
        relative.forEach(part -> parts.add(part.toString()));
        return String.join("/", parts);
    }
}
