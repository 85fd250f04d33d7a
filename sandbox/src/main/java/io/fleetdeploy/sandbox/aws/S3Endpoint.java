package io.fleetdeploy.sandbox.aws;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;
import org.gaul.s3proxy.AccessGrant;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * The sandbox's S3: an embedded S3Proxy on 127.0.0.1 (ephemeral port) that checks SigV4 against
 * the same {@link Users} as the AWS endpoint, so every configured user and every unexpired set of
 * temporary credentials STS issued reaches the one blob store. Objects live in memory, or as files
 * under a directory.
 */
public final class S3Endpoint implements AutoCloseable {

    private final S3Proxy proxy;
    private final BlobStore blobStore;
    private final URI endpoint;

    private S3Endpoint(S3Proxy proxy, BlobStore blobStore) throws Exception {
        this.proxy = proxy;
        this.blobStore = blobStore;
        proxy.start();
        this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    /** Starts S3 with objects in memory: gone when it stops. */
    public static S3Endpoint start(Users users) {
        return start(users, null);
    }

    /**
     * Starts S3 with objects as files under {@code directory} (created if missing), or in memory when null.
     *
     * @throws IllegalStateException when S3Proxy cannot start (the message says where and why)
     */
    public static S3Endpoint start(Users users, Path directory) {
        Objects.requireNonNull(users, "users");
        Credential owner = users.users().stream().findFirst().orElseThrow(() ->
                new IllegalArgumentException("S3 needs at least one configured user; add one to Users first"));
        String store = directory == null ? "transient" : "filesystem";
        Properties properties = new Properties();
        properties.setProperty("s3proxy.endpoint", "http://127.0.0.1:0");
        properties.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        // S3Proxy wants one key pair to start; the locator below answers for every user.
        properties.setProperty("s3proxy.identity", owner.accessKeyId());
        properties.setProperty("s3proxy.credential", owner.secretAccessKey());
        if (directory != null) {
            properties.setProperty("jclouds.filesystem.basedir", directory.toAbsolutePath().toString());
        }
        BlobStore blobStore = null;
        try {
            blobStore = BlobStores.create(store, properties);
            // S3Proxy does not know X-Amz-Security-Token; the locator checks the key, its secret and its expiry instead.
            S3Proxy proxy = S3Proxy.Builder.fromProperties(properties).blobStore(blobStore).ignoreUnknownHeaders(true).build();
            BlobStore shared = blobStore;
            proxy.setBlobStoreLocator((identity, container, blob) -> users.find(identity)
                    .filter(credential -> !credential.expiredAt(users.clock().instant()))
                    .map(credential -> new AccessGrant(credential.secretAccessKey(), shared))
                    .orElse(null));
            return new S3Endpoint(proxy, blobStore);
        } catch (Exception e) {
            if (blobStore != null) {
                blobStore.close();
            }
            throw new IllegalStateException("The sandbox's S3 (S3Proxy, " + store + " store"
                    + (directory == null ? "" : " in " + directory) + ") could not start on 127.0.0.1: " + e.getMessage(), e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    public int port() {
        return proxy.getPort();
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("The sandbox's S3 at " + endpoint + " did not stop cleanly: " + e.getMessage(), e);
        } finally {
            blobStore.close();
        }
    }
}
