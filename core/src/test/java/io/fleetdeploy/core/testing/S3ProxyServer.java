package io.fleetdeploy.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs an {@link EmbeddedS3Proxy} as a process, for benchmarks and manual tries: files under the
 * directory given as the first argument (or a new temporary one); with a second and third
 * argument (a PKCS12 keystore and its password) it serves HTTPS only. Prints {@code endpoint=},
 * {@code accessKey=} and {@code secretKey=} lines (throw-away keys of this local proxy), then
 * serves until its standard input closes or the process is stopped.
 */
public final class S3ProxyServer {

    private S3ProxyServer() {
    }

    public static void main(String[] args) throws IOException {
        Path directory = args.length > 0 ? Files.createDirectories(Path.of(args[0])) : Files.createTempDirectory("s3proxy-");
        try (EmbeddedS3Proxy proxy = args.length > 2
                ? EmbeddedS3Proxy.startFilesystem(directory, Path.of(args[1]), args[2])
                : EmbeddedS3Proxy.startFilesystem(directory)) {
            System.out.println("endpoint=" + proxy.endpoint());
            System.out.println("accessKey=" + proxy.accessKey());
            System.out.println("secretKey=" + proxy.secretKey());
            System.out.println("directory=" + directory);
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the parent closes our stdin
            }
        }
    }
}
