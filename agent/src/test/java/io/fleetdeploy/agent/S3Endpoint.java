package io.fleetdeploy.agent;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.AccessGrant;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 protocol endpoint (embedded S3Proxy, in-memory store) on 127.0.0.1 with an ephemeral
 * port. It checks SigV4 against keys made up for this run, so a test can also prove that the
 * secret key never shows up in anything the agent prints or writes. A test class holds one in a
 * static {@code @RegisterExtension} field: it starts with the class and stops after its last test.
 */
final class S3Endpoint implements AutoCloseable, AfterAllCallback {

    static final String REGION = "us-east-1";

    private final String accessKey = "agent-test-" + UUID.randomUUID().toString().substring(0, 8);
    private final String secretKey = "agent-secret-" + UUID.randomUUID();
    private final Map<String, String> secrets = new ConcurrentHashMap<>();
    private final S3Proxy proxy;
    private final URI endpoint;
    private final S3Client client;
    private final AtomicInteger buckets = new AtomicInteger();

    S3Endpoint() {
        Properties properties = new Properties();
        properties.setProperty("s3proxy.endpoint", "http://127.0.0.1:0");
        properties.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        properties.setProperty("s3proxy.identity", accessKey);
        properties.setProperty("s3proxy.credential", secretKey);
        BlobStore store = BlobStores.create("transient", properties);
        // S3Proxy does not know X-Amz-Security-Token (the harness's curl wrapper checks what the agent
        // sends); the locator lets temporary credentials (see allow) sign requests as well.
        try {
            proxy = S3Proxy.Builder.fromProperties(properties).blobStore(store).ignoreUnknownHeaders(true).build();
            secrets.put(accessKey, secretKey);
            proxy.setBlobStoreLocator((identity, container, blob) -> {
                String secret = secrets.get(identity);
                return secret == null ? null : new AccessGrant(secret, store);
            });
            proxy.start();
        } catch (Exception e) {
            throw new IllegalStateException("could not start the embedded S3Proxy on 127.0.0.1", e);
        }
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        client = S3Client.builder()
                .region(Region.of(REGION))
                .endpointOverride(endpoint)
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .httpClientBuilder(ApacheHttpClient.builder())
                .build();
    }

    /** Also accepts requests signed with this key pair, as role credentials from instance metadata are. */
    void allow(String accessKeyId, String secretAccessKey) {
        secrets.put(accessKeyId, secretAccessKey);
    }

    /** A bucket name no other test of this class uses: {@code <prefix>-<n>}. */
    String newBucket(String prefix) {
        return prefix + "-" + buckets.incrementAndGet();
    }

    URI endpoint() {
        return endpoint;
    }

    String accessKey() {
        return accessKey;
    }

    String secretKey() {
        return secretKey;
    }

    S3Client client() {
        return client;
    }

    @Override
    public void close() throws Exception {
        client.close();
        proxy.stop();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }
}
