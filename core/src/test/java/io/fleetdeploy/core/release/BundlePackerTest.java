package io.fleetdeploy.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundlePackerTest {

    @TempDir
    Path temp;

    @Test
    void sameTreeGivesSameBytesWhateverTheTimesPermissionsAndCreationOrder() throws IOException {
        Path first = temp.resolve("first");
        Path second = temp.resolve("second");
        writeApp(first, List.of("app.properties", "hooks/start", "db/migration/V1__init.sql"), "rw-rw-rw-", Instant.parse("2021-03-04T05:06:07Z"));
        writeApp(second, List.of("db/migration/V1__init.sql", "hooks/start", "app.properties"), "rw-r-----", Instant.parse("2024-01-01T00:00:00Z"));

        Path a = temp.resolve("a.tar.gz");
        Path b = temp.resolve("b.tar.gz");
        new BundlePacker().pack(first, a);
        new BundlePacker().pack(second, b);

        assertThat(Sha256.of(a)).isEqualTo(Sha256.of(b));
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
    }

    @Test
    void entriesAreSortedNormalizedAndKeepTheExecutableBit() throws IOException {
        Path app = temp.resolve("app");
        writeApp(app, List.of("hooks/start", "app.properties", "db/migration/V1__init.sql"), "rw-r--r--", Instant.now());
        Files.setPosixFilePermissions(app.resolve("hooks/start"), PosixFilePermissions.fromString("rwx------"));
        Path bundle = temp.resolve("bundle.tar.gz");

        new BundlePacker().pack(app, bundle);

        List<String> listing = new ArrayList<>();
        try (InputStream in = Files.newInputStream(bundle);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                assertThat(entry.getLastModifiedTime().toInstant()).isEqualTo(BundlePacker.FIXED_MTIME);
                assertThat(entry.getLongUserId()).isZero();
                assertThat(entry.getLongGroupId()).isZero();
                listing.add(entry.getName() + " " + Integer.toOctalString(entry.getMode()));
            }
        }
        assertThat(listing).containsExactly(
                "app.properties 100644",
                "db/ 40755",
                "db/migration/ 40755",
                "db/migration/V1__init.sql 100644",
                "hooks/ 40755",
                "hooks/start 100755");
    }

    @Test
    void gnuTarUnpacksItWithFilesAtTheRoot() throws Exception {
        Path app = temp.resolve("app");
        writeApp(app, List.of("app.properties", "hooks/start"), "rwxr-xr-x", Instant.now());
        Path bundle = temp.resolve("bundle.tar.gz");
        new BundlePacker().pack(app, bundle);
        Path out = Files.createDirectory(temp.resolve("out"));

        Process tar = new ProcessBuilder("tar", "-xzf", bundle.toString(), "-C", out.toString()).redirectErrorStream(true).start();
        assertThat(tar.waitFor(30, TimeUnit.SECONDS)).as("tar finished within 30 s").isTrue();
        assertThat(tar.exitValue()).as(new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();

        assertThat(out.resolve("app.properties")).hasContent("content of app.properties");
        assertThat(Files.isExecutable(out.resolve("hooks/start"))).isTrue();
    }

    @Test
    void refusesSymbolicLinks() throws IOException {
        Path app = temp.resolve("app");
        writeApp(app, List.of("app.properties"), "rw-r--r--", Instant.now());
        Files.createSymbolicLink(app.resolve("link"), Path.of("/etc/passwd"));
        Path bundle = temp.resolve("bundle.tar.gz");

        assertThatThrownBy(() -> new BundlePacker().pack(app, bundle))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("symbolic link");
        assertThat(bundle).doesNotExist();
    }

    private static void writeApp(Path root, List<String> files, String permissions, Instant mtime) throws IOException {
        for (String file : files) {
            Path path = root.resolve(file);
            Files.createDirectories(path.getParent());
            Files.writeString(path, "content of " + file);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
            Files.setLastModifiedTime(path, FileTime.from(mtime));
        }
    }
}
