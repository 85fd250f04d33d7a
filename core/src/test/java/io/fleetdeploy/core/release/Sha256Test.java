package io.fleetdeploy.core.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Sha256Test {

    @TempDir
    Path temp;

    @Test
    void smallInputIsHashedByTheJdkToTheStandardValue() throws IOException {
        assertThat(Sha256.newDigest(1024).getProvider().getName()).isEqualTo("SUN");
        // FIPS 180-2, appendix B.1
        assertThat(Sha256.of(new ByteArrayInputStream("abc".getBytes(StandardCharsets.US_ASCII)), 3))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void largeFileIsHashedByAwsLcOnLinuxX8664ToWhatSha256sumSays() throws Exception {
        Path bundle = temp.resolve("bundle.tar.gz");
        byte[] block = new byte[1 << 20];
        Random random = new Random(42);
        // One byte past the threshold, so the last partial block is hashed too.
        long size = Sha256.NATIVE_FROM_BYTES + 1;
        try (OutputStream out = Files.newOutputStream(bundle)) {
            for (long written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, size - written));
            }
        }

        String ours = Sha256.of(bundle);

        // The command line ships AWS-LC's linux-x86_64 build, and the launcher runs C1 alone there
        // on the strength of it: there it must load.
        if ("Linux".equals(System.getProperty("os.name")) && "amd64".equals(System.getProperty("os.arch"))) {
            assertThat(Sha256.nativeProvider()).as("AWS-LC loaded").isPresent();
            assertThat(Sha256.newDigest(size).getProvider().getName()).isEqualTo("AmazonCorrettoCryptoProvider");
        }
        assertThat(ours).isEqualTo(sha256sum(bundle));
    }

    @Test
    void aProcessWithoutTheProviderHashesLargeFilesWithTheJdk() throws Exception {
        Path bundle = temp.resolve("bundle.tar.gz");
        Files.write(bundle, new byte[(int) Sha256.NATIVE_FROM_BYTES]);
        // Core's classes alone, as in the Jenkins plugin, which does not ship the provider.
        Path coreClasses = Path.of(Sha256.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (URLClassLoader withoutProvider = new URLClassLoader(new URL[] {coreClasses.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Method of = withoutProvider.loadClass(Sha256.class.getName()).getMethod("of", Path.class);

            assertThat(of.invoke(null, bundle)).isEqualTo(sha256sum(bundle));
            assertThat(of.invoke(null, bundle)).as("asked again after the provider was found missing").isEqualTo(sha256sum(bundle));
        }
    }

    /** What coreutils' sha256sum, an implementation no one here wrote, says of {@code file}. */
    private static String sha256sum(Path file) throws Exception {
        Process process = new ProcessBuilder("sha256sum", file.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("sha256sum finished within 60 s").isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output.substring(0, output.indexOf(' '));
    }
}
