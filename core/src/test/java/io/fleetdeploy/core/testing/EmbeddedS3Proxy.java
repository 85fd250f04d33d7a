package io.fleetdeploy.core.testing;

import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsSettings;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 endpoint (S3Proxy) on 127.0.0.1 with an ephemeral port, checking SigV4 against its own
 * throw-away keys. Backed by an in-memory ("transient") store, or by a directory ("filesystem")
 * when objects are too big to keep in the heap (benchmarks).
 */
public final class EmbeddedS3Proxy implements AutoCloseable {

    public static final Region REGION = Region.US_EAST_1;
    private static final String ACCESS_KEY = "fleet-deploy-test-access";
    // A throw-away key of this embedded endpoint only; it protects nothing.
    private static final String SECRET_KEY = "fleet-deploy-test-secret-not-a-real-key";

    private final S3Proxy proxy;
    private final URI endpoint;

    private EmbeddedS3Proxy(S3Proxy proxy, boolean tls) throws Exception {
        this.proxy = proxy;
        proxy.start();
        this.endpoint = URI.create(tls ? "https://127.0.0.1:" + proxy.getSecurePort() : "http://127.0.0.1:" + proxy.getPort());
    }

    /** An in-memory store: everything is gone when the proxy stops. */
    public static EmbeddedS3Proxy startTransient() {
        return start("transient", null, null, null);
    }

    /** Objects are files under {@code directory}, for objects too big for the heap. */
    public static EmbeddedS3Proxy startFilesystem(Path directory) {
        return start("filesystem", directory, null, null);
    }

    /**
     * As {@link #startFilesystem(Path)}, serving HTTPS only with the key and certificate in
     * {@code keystore}: over plain HTTP the AWS SDK and the AWS CLI both hash and sign every
     * payload, which they never do against real S3 over HTTPS, so uploads measured over HTTP
     * measure that work rather than the upload.
     */
    public static EmbeddedS3Proxy startFilesystem(Path directory, Path keystore, String keystorePassword) {
        return start("filesystem", directory, keystore, keystorePassword);
    }

    private static EmbeddedS3Proxy start(String store, Path directory, Path keystore, String keystorePassword) {
        Properties properties = new Properties();
        if (keystore == null) {
            properties.setProperty("s3proxy.endpoint", "http://127.0.0.1:0");
        } else {
            properties.setProperty("s3proxy.secure-endpoint", "https://127.0.0.1:0");
            properties.setProperty("s3proxy.keystore-path", keystore.toAbsolutePath().toString());
            properties.setProperty("s3proxy.keystore-password", keystorePassword);
        }
        properties.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        properties.setProperty("s3proxy.identity", ACCESS_KEY);
        properties.setProperty("s3proxy.credential", SECRET_KEY);
        if (directory != null) {
            properties.setProperty("jclouds.filesystem.basedir", directory.toAbsolutePath().toString());
        }
        try {
            S3Proxy proxy = S3Proxy.Builder.fromProperties(properties)
                    .blobStore(BlobStores.create(store, properties))
                    .build();
            return new EmbeddedS3Proxy(proxy, keystore != null);
        } catch (Exception e) {
            throw new IllegalStateException("Could not start an embedded S3Proxy (" + store + " store) on 127.0.0.1", e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    public Region region() {
        return REGION;
    }

    /** Settings that reach this proxy with its keys, as production code receives them. */
    public AwsSettings settings() {
        return new AwsSettings(REGION, endpoint,
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
    }

    /** A new S3 client built the production way; the caller closes it. */
    public S3Client newClient() {
        return AwsClients.s3(settings());
    }

    /**
     * Environment for an AWS CLI subprocess talking to this proxy (the Debian AWS CLI has no
     * endpoint variable: pass {@code --endpoint-url endpoint()} as well). No profile or config
     * file of the machine leaks in.
     */
    public Map<String, String> awsCliEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        env.put("AWS_DEFAULT_REGION", REGION.id());
        env.put("AWS_REGION", REGION.id());
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_PAGER", "");
        return env;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Could not stop the embedded S3Proxy at " + endpoint, e);
        }
    }
}
