package io.fleetdeploy.core.testing;

import io.fleetdeploy.core.aws.AwsSettings;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * JUnit 5 extension: an embedded S3Proxy for the test class and a fresh, empty bucket for every
 * test. Register it as a static field so the proxy is shared by the class's tests:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final S3ProxyExtension S3 = new S3ProxyExtension();
 *
 * @Test void something() { S3.client().putObject(b -> b.bucket(S3.bucket()).key("k"), RequestBody.fromString("v")); }
 * }</pre>
 *
 * Registered as an instance field it starts and stops a proxy around each test instead.
 */
public final class S3ProxyExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private EmbeddedS3Proxy proxy;
    private S3Client client;
    private String bucket;
    private boolean perTest;

    @Override
    public void beforeAll(ExtensionContext context) {
        startProxy();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stopProxy();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (proxy == null) {
            perTest = true;
            startProxy();
        }
        bucket = createBucket();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            // The transient store lives in the heap: give the memory back between tests.
            deleteBucketAndContents(bucket);
        } finally {
            bucket = null;
            if (perTest) {
                stopProxy();
            }
        }
    }

    private void startProxy() {
        proxy = EmbeddedS3Proxy.startTransient();
        client = proxy.newClient();
    }

    private void stopProxy() {
        if (client != null) {
            client.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        client = null;
        proxy = null;
    }

    private EmbeddedS3Proxy proxy() {
        if (proxy == null) {
            throw new IllegalStateException("The S3Proxy runs only while a test runs; register S3ProxyExtension with @RegisterExtension.");
        }
        return proxy;
    }

    public URI endpoint() {
        return proxy().endpoint();
    }

    public String accessKey() {
        return proxy().accessKey();
    }

    public String secretKey() {
        return proxy().secretKey();
    }

    public Region region() {
        return proxy().region();
    }

    /** Region, endpoint and the proxy's keys, as production code receives them. */
    public AwsSettings settings() {
        return proxy().settings();
    }

    /** A ready client, shared by the test class; do not close it. */
    public S3Client client() {
        proxy();
        return client;
    }

    /** The current test's own empty bucket. */
    public String bucket() {
        if (bucket == null) {
            throw new IllegalStateException("No bucket outside a test method.");
        }
        return bucket;
    }

    /** Another new, empty bucket (removed only when the proxy stops). */
    public String createBucket() {
        String name = "fd-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        client().createBucket(b -> b.bucket(name));
        return name;
    }

    /** Environment for an AWS CLI subprocess; see {@link EmbeddedS3Proxy#awsCliEnvironment()}. */
    public Map<String, String> awsCliEnvironment() {
        return proxy().awsCliEnvironment();
    }

    /** Every key of the test's bucket with its ETag, sorted: compare before and after to prove nothing changed. */
    public Map<String, String> objects() {
        return objects(bucket());
    }

    public Map<String, String> objects(String bucketName) {
        Map<String, String> objects = new TreeMap<>();
        client().listObjectsV2Paginator(b -> b.bucket(bucketName)).contents()
                .forEach(o -> objects.put(o.key(), o.eTag()));
        return objects;
    }

    /** The bytes of one object of the test's bucket. */
    public byte[] read(String key) {
        return client().getObjectAsBytes(b -> b.bucket(bucket()).key(key)).asByteArray();
    }

    private void deleteBucketAndContents(String name) {
        if (name == null || client == null) {
            return;
        }
        client.listObjectsV2Paginator(b -> b.bucket(name)).forEach(page -> {
            List<ObjectIdentifier> keys = page.contents().stream()
                    .map(S3Object::key)
                    .map(key -> ObjectIdentifier.builder().key(key).build())
                    .toList();
            if (!keys.isEmpty()) {
                client.deleteObjects(b -> b.bucket(name).delete(Delete.builder().objects(keys).quiet(true).build()));
            }
        });
        // A test may have turned versioning on: old versions and delete markers keep a bucket "not empty".
        client.listObjectVersionsPaginator(b -> b.bucket(name)).forEach(page -> {
            List<ObjectIdentifier> versions = new ArrayList<>();
            page.versions().forEach(v -> versions.add(ObjectIdentifier.builder().key(v.key()).versionId(v.versionId()).build()));
            page.deleteMarkers().forEach(m -> versions.add(ObjectIdentifier.builder().key(m.key()).versionId(m.versionId()).build()));
            if (!versions.isEmpty()) {
                client.deleteObjects(b -> b.bucket(name).delete(Delete.builder().objects(versions).quiet(true).build()));
            }
        });
        client.deleteBucket(b -> b.bucket(name));
    }
}
