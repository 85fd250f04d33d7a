package io.fleetdeploy.core.release;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.HexFormat;
import java.util.Optional;

/**
 * SHA-256 as lower-case hex, the form manifests, channel pointers and `sha256sum` use.
 *
 * <p>Large inputs are hashed by AWS-LC (the Amazon Corretto Crypto Provider) where the process has
 * it: the command line ships it and runs on the C1 compiler alone (./fleet-deploy), which has no
 * intrinsic for the JDK's SHA-256 and hashes at about 140 MB/s, AWS-LC at about 1.1 GB/s. Loading
 * AWS-LC costs about a quarter of a second, so inputs smaller than {@link #NATIVE_FROM_BYTES} keep
 * the JDK's, as does every process without it (the Jenkins plugin, whose C2 compiles the JDK's
 * SHA-256 to the same CPU instructions).
 */
public final class Sha256 {

    /** Where loading AWS-LC (about 0.25 s) costs less than hashing in C1 code (about 140 MB/s) would. */
    static final long NATIVE_FROM_BYTES = 32L * 1024 * 1024;

    private static final String ALGORITHM = "SHA-256";

    private Sha256() {
    }

    /** A digest for data of unknown or small size: the JDK's. */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(ALGORITHM);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
    }

    /** A digest for {@code bytes} of data: AWS-LC's when they are many and this process has it. */
    public static MessageDigest newDigest(long bytes) {
        Optional<Provider> nativeProvider = bytes >= NATIVE_FROM_BYTES ? nativeProvider() : Optional.empty();
        if (nativeProvider.isPresent()) {
            try {
                return MessageDigest.getInstance(ALGORITHM, nativeProvider.get());
            } catch (NoSuchAlgorithmException e) {
                // a provider without SHA-256: the JDK's below
            }
        }
        return newDigest();
    }

    public static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    public static String of(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return of(in, Files.size(file));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + file, e);
        }
    }

    /** Reads {@code in} to its end. */
    public static String of(InputStream in) throws IOException {
        return of(in, 0);
    }

    /** Reads {@code in}, about {@code bytes} long, to its end. */
    public static String of(InputStream in, long bytes) throws IOException {
        MessageDigest digest = newDigest(bytes);
        byte[] buffer = new byte[1 << 16];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            digest.update(buffer, 0, n);
        }
        return hex(digest);
    }

    /** The provider whose SHA-256 is {@link #newDigest(long)}'s for large data, if it is here and its native library loaded. */
    static Optional<Provider> nativeProvider() {
        try {
            return NativeProvider.INSTANCE;
        } catch (LinkageError absent) {
            // The provider's classes are not on the class path and a verifier wanted them before load() ran.
            return Optional.empty();
        }
    }

    /** Loaded when first asked for (the class and its native library are only touched then). */
    private static final class NativeProvider {
        static final Optional<Provider> INSTANCE = load();

        private static Optional<Provider> load() {
            try {
                AmazonCorrettoCryptoProvider provider = AmazonCorrettoCryptoProvider.INSTANCE;
                // A native library that did not load (no build for this platform, a noexec temp dir)
                // is reported here rather than thrown.
                return provider.getLoadingError() == null ? Optional.of(provider) : Optional.empty();
            } catch (LinkageError absent) {
                return Optional.empty();
            }
        }
    }
}
