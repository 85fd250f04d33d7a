package io.fleetdeploy.core.release;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.aws.MultipartClient;
import io.fleetdeploy.core.s3.S3Layout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.FileRequestBodyConfiguration;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.DelegatingS3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.transfer.s3.S3TransferManager;
import software.amazon.awssdk.transfer.s3.model.UploadRequest;

/**
 * The releases of one app in one bucket (DESIGN.md, "S3 layout"): publish, read, download and
 * verify, list, prune, and the channel pointers.
 *
 * <p>How immutability holds without locks: every object that makes up a release is written with
 * {@code If-None-Match: *}, on PutObject and on CompleteMultipartUpload alike, so a bundle is
 * never overwritten. The manifest, written last and also with {@code If-None-Match: *}, is the
 * commit point: a version is published exactly when its manifest exists. Of concurrent publishers
 * of one version the first to complete the bundle wins it; the others find it there, compare its
 * sha256 with their own and either finish the same release (same bytes) or are refused (other
 * bytes). A bundle left without a manifest (an interrupted publish, or put by another client) is
 * adopted when its bytes are the same, and refused otherwise.
 */
public final class Releases implements AutoCloseable {

    private static final int MAX_CHANNEL_ATTEMPTS = 5;
    private static final int DELETE_BATCH = 1000;
    private static final String MANIFEST = "manifest.json";
    private static final String BUNDLE = "bundle.tar.gz";
    /**
     * Reads of the bundle while it goes up: the SDK's default (16 KiB, also what uploadFile uses)
     * sends a 512 MiB bundle through its reactive pipeline as 32,768 buffers, and the JIT compiles
     * that pipeline hot; 256 KiB reads took about 9% less CPU for the whole publish.
     */
    private static final int UPLOAD_READ_CHUNK = 256 * 1024;

    private final Supplier<S3Client> s3Source;
    private final Supplier<MultipartClient> multipartSource;
    private final S3Layout layout;
    private final Clock clock;
    private final ProgressListener progress;
    private final boolean ownsClients;
    private S3Client s3;
    private S3AsyncClient async;
    private S3Failures failures;
    private MultipartClient ownedMultipart;
    private S3TransferManager transfers;

    /**
     * Uses the given clients and leaves them open on {@link #close()}.
     *
     * @param multipart an async client with multipart enabled, built by {@link AwsClients#s3Multipart}: bundles go up
     *                  through it, and it reports the multipart uploads it starts, which a failed publish aborts itself
     */
    public Releases(S3Client s3, S3AsyncClient multipart, S3Layout layout, Clock clock, ProgressListener progress) {
        this(() -> s3, null, layout, clock, progress, false);
        this.s3 = s3;
        this.async = multipart;
        this.transfers = S3TransferManager.builder().s3Client(multipart).build();
    }

    private Releases(Supplier<S3Client> s3Source, Supplier<MultipartClient> multipartSource, S3Layout layout, Clock clock,
                     ProgressListener progress, boolean ownsClients) {
        this.s3Source = s3Source;
        this.multipartSource = multipartSource;
        this.layout = layout;
        this.clock = clock;
        this.progress = progress;
        this.ownsClients = ownsClients;
    }

    /**
     * Builds its own clients from {@code settings}, each when first needed; close it to release
     * them. A publish needs only the async client (an event loop, BoringSSL when the command line
     * ships it): its own calls, and the move of a channel after it, go through it too, so it never
     * builds the sync client nor starts a JDK TLS handshake (a 1 KB publish over HTTPS took 0.13
     * CPU seconds less, 1.11 to 0.98; README, "Benchmark"). Reading, listing and channels on their
     * own use the sync client and never start an event loop.
     */
    public static Releases connect(AwsSettings settings, S3Layout layout, ProgressListener progress) {
        return new Releases(() -> AwsClients.s3(settings), () -> MultipartClient.create(settings, AwsClients.DEFAULT_PART_SIZE),
                layout, Clock.systemUTC(), progress, true);
    }

    private synchronized S3Client s3() {
        if (s3 == null) {
            s3 = s3Source.get();
        }
        return s3;
    }

    private synchronized S3TransferManager transfers() {
        if (transfers == null) {
            ownedMultipart = multipartSource.get();
            async = ownedMultipart.client();
            transfers = S3TransferManager.builder().s3Client(async).build();
        }
        return transfers;
    }

    /** The async client that uploads bundles; publish's own small calls go through it too. */
    private S3AsyncClient async() {
        transfers();
        synchronized (this) {
            return async;
        }
    }

    /** The async client if this publish, or the caller, has made one; null otherwise. */
    private synchronized S3AsyncClient asyncIfBuilt() {
        return async;
    }

    /**
     * The async client without the SDK's multipart layer, for small reads: the multipart client
     * would fetch even a manifest as numbered parts ({@code partNumber=1}). Its multipart layer
     * is a {@link DelegatingS3AsyncClient} around the plain client; any other client is used as it is.
     */
    private static S3AsyncClient withoutMultipart(S3AsyncClient client) {
        return client instanceof DelegatingS3AsyncClient multipart && multipart.delegate() instanceof S3AsyncClient plain ? plain : client;
    }

    /**
     * A small object, read through the async client when there is one (so a publish that then moves
     * a channel builds no second client, nor a TLS handshake in the JDK's TLS), else the sync client.
     */
    private ResponseBytes<GetObjectResponse> getSmallObject(String key) {
        S3AsyncClient built = asyncIfBuilt();
        return built != null
                ? await(withoutMultipart(built).getObject(b -> b.bucket(layout.bucket()).key(key), AsyncResponseTransformer.toBytes()))
                : s3().getObjectAsBytes(b -> b.bucket(layout.bucket()).key(key));
    }

    /** A small object, written as {@link #getSmallObject} reads. */
    private void putSmallObject(PutObjectRequest put, byte[] body) {
        S3AsyncClient built = asyncIfBuilt();
        if (built != null) {
            await(built.putObject(put, AsyncRequestBody.fromBytes(body)));
        } else {
            s3().putObject(put, RequestBody.fromBytes(body));
        }
    }

    /** Says where S3 was reached in error messages: from a client already built, so that no error builds another. */
    private synchronized S3Failures failures() {
        if (failures == null) {
            failures = new S3Failures(s3 != null ? s3.serviceClientConfiguration()
                    : async != null ? async.serviceClientConfiguration() : s3().serviceClientConfiguration(), layout.bucket());
        }
        return failures;
    }

    /** Waits for an async call and throws what it failed with as the sync client would (an SdkException, not wrapped). */
    private static <T> T await(CompletableFuture<T> call) {
        try {
            return call.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    public S3Layout layout() {
        return layout;
    }

    // ---------------------------------------------------------------- publish

    /**
     * Publishes {@code request.path()} as version {@code request.version()}: the same bytes again
     * are a no-op that says so, other bytes are refused naming both sha256 values. Then moves the
     * requested channel, if any, retrying when another writer moved it meanwhile.
     */
    public PublishResult publish(PublishRequest request) {
        request.validate();
        // Starting the upload client (an event loop, many classes) takes seconds: do it while the bundle is hashed.
        CompletableFuture<?> warmUp = CompletableFuture.runAsync(this::transfers).exceptionally(failure -> null); // an upload reports it
        Path bundle = request.path();
        Path packed = null;
        CompletableFuture<String> sha256 = CompletableFuture.completedFuture(null);
        try {
            if (Files.isDirectory(bundle)) {
                packed = Files.createTempFile("fleet-deploy-bundle-", ".tar.gz");
                new BundlePacker().pack(bundle, packed);
                bundle = packed;
            } else {
                warnIfNotGzip(bundle);
            }
            long size = Files.size(bundle);
            Path hashed = bundle;
            // The checksum is needed only to compare with what is there or to write the manifest, so
            // it is computed while S3 is asked and the bundle goes up, not before.
            sha256 = CompletableFuture.supplyAsync(() -> Sha256.of(hashed));
            PublishResult published = publishBundle(request, bundle, new BundleHash(sha256, request.version(), size), size);
            if (request.channel() == null) {
                return published;
            }
            ChannelMove move = moveChannelAfterPublish(request);
            return new PublishResult(published.manifest(), published.alreadyPublished(), move);
        } catch (IOException e) {
            throw FleetDeployException.invalidInput("Could not read " + bundle + ": " + e.getMessage(),
                    "Check that the path is readable and the disk has room for the packed bundle.");
        } finally {
            warmUp.join();
            sha256.exceptionally(failure -> null).join(); // no reading of a file we are about to delete
            if (packed != null) {
                deleteQuietly(packed);
            }
        }
    }

    /** The bundle's sha256 being computed; {@link #get()} waits for it and reports it once. */
    private final class BundleHash {
        private final CompletableFuture<String> computing;
        private final String version;
        private final long size;
        private boolean reported;

        BundleHash(CompletableFuture<String> computing, String version, long size) {
            this.computing = computing;
            this.version = version;
            this.size = size;
        }

        String get() {
            String sha256;
            try {
                sha256 = computing.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw FleetDeployException.invalidInput("Could not read the bundle to compute its sha256: " + e.getCause().getMessage(),
                        "Check that the path is readable.");
            }
            if (!reported) {
                reported = true;
                progress.info("Bundle for " + layout.app() + " " + version + ": sha256 " + sha256 + ", " + UploadProgress.mebibytes(size));
            }
            return sha256;
        }
    }

    private PublishResult publishBundle(PublishRequest request, Path bundle, BundleHash hash, long size) {
        String version = request.version();
        String nothingChanged = "Nothing was uploaded or changed.";
        Optional<Manifest> existing = publishedManifest(version, nothingChanged);
        if (existing.isPresent()) {
            return samePublishedRelease(existing.get(), hash.get());
        }
        StoredBundle stored = storeBundle(request, bundle, hash, size);
        String sha256 = hash.get();
        Manifest manifest = new Manifest(layout.app(), version, sha256, size, clock.instant(), request.gitCommit(),
                request.buildUrl(), request.schemaKey(), request.migrations(), layout.bundleKey(version), stored.etag(), stored.versionId());
        String manifestKey = layout.manifestKey(version);
        try {
            putSmallObject(request.encryption().applyTo(PutObjectRequest.builder()
                    .bucket(layout.bucket()).key(manifestKey).ifNoneMatch("*").contentType("application/json")).build(), toJson(manifest));
        } catch (SdkException e) {
            if (S3Failures.isPreconditionFailed(e)) {
                // Another publisher of the same bytes committed first.
                return samePublishedRelease(publishedManifest(version, nothingChanged).orElseThrow(() -> failures().translate(e,
                        "writing " + layout.uri(manifestKey), "The bundle is in place; no manifest was written.")), sha256);
            }
            throw failures().translate(e, "writing " + layout.uri(manifestKey),
                    "The bundle is in place at " + layout.uri(manifest.bundleKey()) + " but no manifest was written, so version "
                            + version + " is not published; publishing the same bytes again completes it.");
        }
        progress.info("Published " + layout.app() + " " + version + " (" + layout.uri(manifestKey) + ")");
        return new PublishResult(manifest, false, null);
    }

    private PublishResult samePublishedRelease(Manifest published, String sha256) {
        if (!published.sha256().equals(sha256)) {
            throw new FleetDeployException("Version " + published.version() + " of " + layout.app()
                    + " is already published with other bytes: the published bundle has sha256 " + published.sha256()
                    + ", this one has sha256 " + sha256 + ".",
                    "The published release was left as it was; nothing was uploaded.",
                    "A release never changes: publish these bytes under a new version.");
        }
        progress.info("Version " + published.version() + " of " + layout.app() + " is already published with the same bytes (sha256 "
                + sha256 + "); nothing to upload.");
        return new PublishResult(published, true, null);
    }

    private record StoredBundle(String etag, String versionId) {
    }

    /** Puts the bundle with If-None-Match, or adopts the identical one already there. */
    private StoredBundle storeBundle(PublishRequest request, Path bundle, BundleHash hash, long size) {
        String key = layout.bundleKey(request.version());
        Optional<HeadObjectResponse> present = headBundle(key);
        if (present.isPresent()) {
            return adoptExisting(key, present.get(), hash.get(), "");
        }
        List<String> startedUploads = new CopyOnWriteArrayList<>();
        PutObjectRequest put = request.encryption().applyTo(PutObjectRequest.builder()
                .bucket(layout.bucket()).key(key)
                .ifNoneMatch("*")
                .contentType("application/gzip")
                .overrideConfiguration(o -> o.putExecutionAttribute(AwsClients.MULTIPART_UPLOAD_CREATED, startedUploads::add))).build();
        try {
            PutObjectResponse response = transfers().upload(UploadRequest.builder()
                            .putObjectRequest(put)
                            .requestBody(AsyncRequestBody.fromFile(FileRequestBodyConfiguration.builder()
                                    .path(bundle).chunkSizeInBytes(UPLOAD_READ_CHUNK).build()))
                            .addTransferListener(new UploadProgress(progress, clock, layout.uri(key), size))
                            .build())
                    .completionFuture().join().response();
            return new StoredBundle(response.eTag(), response.versionId());
        } catch (RuntimeException failure) {
            // Before anything is reported (the command may exit right after): the SDK's own abort of
            // a failed multipart upload runs later, on its threads, and would die with the process.
            String ourUpload = abortIncompleteUploads(key, startedUploads);
            SdkException cause = S3Failures.sdkCause(failure);
            if (cause == null) {
                throw failure;
            }
            if (S3Failures.isPreconditionFailed(cause)) {
                progress.info("Another publisher stored " + layout.uri(key) + " first; comparing its bytes with ours.");
                HeadObjectResponse winner = headBundle(key).orElseThrow(() -> failures().translate(cause,
                        "uploading " + layout.uri(key), "Nothing was changed. " + ourUpload));
                return adoptExisting(key, winner, hash.get(), ourUpload);
            }
            throw failures().translate(cause, "uploading " + layout.uri(key), ourUpload + " No manifest was written.");
        }
    }

    /**
     * Aborts the multipart uploads this publish started for {@code key} and did not complete, and
     * says in one sentence what is left of them.
     */
    private String abortIncompleteUploads(String key, List<String> uploadIds) {
        List<String> notAborted = new ArrayList<>();
        for (String uploadId : uploadIds) {
            if (!abortAndConfirm(key, uploadId)) {
                notAborted.add(uploadId);
            }
        }
        if (!notAborted.isEmpty()) {
            return "This publish stored no bundle, but its incomplete multipart upload could not be aborted (it keeps its parts,"
                    + " which S3 bills): aws s3api abort-multipart-upload --bucket " + layout.bucket() + " --key " + key
                    + " --upload-id " + notAborted.get(0) + ".";
        }
        return uploadIds.isEmpty() ? "This publish stored nothing."
                : "This publish stored nothing: its incomplete multipart upload was aborted.";
    }

    /** Aborts of one upload, the confirming listing after each included: the first and one more if it is still listed. */
    private static final int ABORT_ATTEMPTS = 2;

    /**
     * Aborts {@code uploadId} and confirms that S3 no longer lists it. S3 documents that a part
     * still in flight when an upload is aborted may land after the abort (the SDK may still be
     * sending parts of a failed upload), so an upload still listed is aborted once more; if it is
     * still listed then, it is reported as not aborted. A listing we may not make (no
     * s3:ListBucketMultipartUploads) leaves the abort's own answer as the word.
     */
    private boolean abortAndConfirm(String key, String uploadId) {
        for (int attempt = 1; attempt <= ABORT_ATTEMPTS; attempt++) {
            try {
                s3().abortMultipartUpload(b -> b.bucket(layout.bucket()).key(key).uploadId(uploadId));
            } catch (SdkException e) {
                // NoSuchUpload (a plain 404 from some S3-compatible stores): the SDK's own abort came first.
                boolean gone = e instanceof NoSuchUploadException || e instanceof AwsServiceException service && service.statusCode() == 404;
                if (!gone) {
                    return false;
                }
            }
            try {
                boolean listed = s3().listMultipartUploadsPaginator(b -> b.bucket(layout.bucket()).prefix(key)).uploads().stream()
                        .anyMatch(upload -> upload.key().equals(key) && upload.uploadId().equals(uploadId));
                if (!listed) {
                    return true;
                }
            } catch (SdkException e) {
                return true;
            }
        }
        return false;
    }

    private StoredBundle adoptExisting(String key, HeadObjectResponse head, String sha256, String ourUpload) {
        String existingSha = remoteSha256(key, head.eTag(), Objects.requireNonNullElse(head.contentLength(), 0L));
        if (!existingSha.equals(sha256)) {
            throw new FleetDeployException("Version " + bundleVersion(key) + " of " + layout.app() + " cannot be published: "
                    + layout.uri(key) + " already holds other bytes (sha256 " + existingSha + ", " + head.contentLength()
                    + " bytes) without a manifest, from a concurrent or interrupted publish or another client; this bundle has sha256 " + sha256 + ".",
                    ("That object was left as it was and no manifest was written. " + ourUpload).trim(),
                    "Publish under a new version, or, if that object is garbage, delete it (aws s3 rm " + layout.uri(key) + ") and publish again.");
        }
        progress.info(layout.uri(key) + " already holds these exact bytes (sha256 " + sha256 + "); using it.");
        return new StoredBundle(head.eTag(), head.versionId());
    }

    private String bundleVersion(String key) {
        String inRoot = key.substring(layout.releasesRoot().length());
        return inRoot.substring(0, inRoot.indexOf('/'));
    }

    private Optional<HeadObjectResponse> headBundle(String key) {
        try {
            return Optional.of(await(async().headObject(b -> b.bucket(layout.bucket()).key(key))));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failures().translate(e, "looking for " + layout.uri(key), "Nothing was uploaded or changed.");
        }
    }

    /** Hashes an object as stored, pinned to {@code etag} so a concurrent replacement cannot slip in. */
    private String remoteSha256(String key, String etag, long size) {
        try (ResponseInputStream<GetObjectResponse> in = s3().getObject(b -> b.bucket(layout.bucket()).key(key).ifMatch(etag))) {
            return Sha256.of(in, size);
        } catch (IOException e) {
            throw new FleetDeployException("Could not read " + layout.uri(key) + ": " + e.getMessage(), "Nothing was changed.",
                    "Run again.", e);
        } catch (SdkException e) {
            throw failures().translate(e, "reading " + layout.uri(key), "Nothing was changed.");
        }
    }

    private ChannelMove moveChannelAfterPublish(PublishRequest request) {
        try {
            return setChannel(new ChannelUpdate(request.channel(), request.version(), request.publishedBy(), null, true, request.encryption()));
        } catch (FleetDeployException e) {
            throw new FleetDeployException("Version " + request.version() + " of " + layout.app() + " is published, but moving channel "
                    + request.channel() + " failed: " + e.whatFailed(), e.leftUnchanged(),
                    "Move it with: fleet-deploy channel set --channel " + request.channel() + " --version " + request.version(), e);
        }
    }

    private void warnIfNotGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            if (in.read() != 0x1f || in.read() != 0x8b) {
                progress.warn(file + " is not gzip-compressed; instances unpack bundle.tar.gz with tar -xzf.");
            }
        }
    }

    // ---------------------------------------------------------------- read and download

    /** The manifest of {@code version}, or empty when that version is not published. */
    public Optional<Manifest> manifest(String version) {
        return manifest(Names.requireSafe("version", version), "Nothing was changed.");
    }

    /** The manifest of {@code version}; an error saying so when it is not published. */
    public Manifest requireManifest(String version) {
        return manifest(version).orElseThrow(() -> notPublished(version, "Nothing was changed."));
    }

    private FleetDeployException notPublished(String version, String leftUnchanged) {
        return new FleetDeployException("Version " + version + " of " + layout.app() + " is not published (no "
                + layout.uri(layout.manifestKey(version)) + ").", leftUnchanged,
                "Publish it first, or pick a published version (fleet-deploy releases list).");
    }

    /** As {@link #manifest(String, String)}, after making the upload's async client, through which publish makes every call. */
    private Optional<Manifest> publishedManifest(String version, String leftUnchanged) {
        async();
        return manifest(version, leftUnchanged);
    }

    private Optional<Manifest> manifest(String version, String leftUnchanged) {
        String key = layout.manifestKey(version);
        byte[] json;
        try {
            json = getSmallObject(key).asByteArray();
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failures().translate(e, "reading " + layout.uri(key), leftUnchanged);
        }
        return Optional.of(fromJson(json, Manifest.class, key, leftUnchanged));
    }

    /**
     * Downloads the bundle of a published version to {@code target} and verifies it against the
     * manifest (sha256 and size, and the S3 ETag the manifest recorded). {@code target} is
     * written only when the bytes are right.
     */
    public Manifest downloadBundle(String version, Path target) {
        Manifest manifest = requireManifest(version);
        String key = manifest.bundleKey() != null ? manifest.bundleKey() : layout.bundleKey(version);
        Path parent = target.toAbsolutePath().getParent();
        Path partial = parent.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".part");
        String nothingWritten = target + " was not written.";
        try {
            Files.createDirectories(parent);
            MessageDigest digest = Sha256.newDigest(manifest.size());
            long size;
            try (ResponseInputStream<GetObjectResponse> in = s3().getObject(b -> b.bucket(layout.bucket()).key(key).ifMatch(manifest.etag()));
                 InputStream hashing = new DigestInputStream(in, digest);
                 OutputStream out = Files.newOutputStream(partial)) {
                size = hashing.transferTo(out);
            }
            String sha256 = Sha256.hex(digest);
            if (!sha256.equals(manifest.sha256()) || size != manifest.size()) {
                throw new FleetDeployException("The bundle at " + layout.uri(key) + " has sha256 " + sha256 + " (" + size
                        + " bytes) but the manifest of " + version + " says sha256 " + manifest.sha256() + " (" + manifest.size() + " bytes).",
                        nothingWritten, "The bundle was changed outside fleet-deploy: publish the build again under a new version.");
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            progress.info("Downloaded " + layout.app() + " " + version + " to " + target + " (sha256 " + sha256 + " verified)");
            return manifest;
        } catch (IOException e) {
            throw new FleetDeployException("Could not write " + target + ": " + e.getMessage(), nothingWritten,
                    "Check that the directory is writable and has room.", e);
        } catch (SdkException e) {
            if (S3Failures.isPreconditionFailed(e)) {
                throw new FleetDeployException("The bundle at " + layout.uri(key) + " is no longer the object the manifest of " + version
                        + " recorded (ETag " + manifest.etag() + ").", nothingWritten,
                        "The bundle was replaced outside fleet-deploy: publish the build again under a new version.", e);
            }
            throw failures().translate(e, "downloading " + layout.uri(key), nothingWritten);
        } finally {
            deleteQuietly(partial);
        }
    }

    // ---------------------------------------------------------------- listing and retention

    /** Published releases, newest (most recently published) first, ties by version; reads every page. */
    public ReleaseListing list() {
        String root = layout.releasesRoot();
        List<ReleaseSummary> releases = new ArrayList<>();
        Set<String> bundles = new TreeSet<>(VersionOrder.NATURAL);
        try {
            for (S3Object object : s3().listObjectsV2Paginator(b -> b.bucket(layout.bucket()).prefix(root)).contents()) {
                String rest = object.key().substring(root.length());
                int slash = rest.indexOf('/');
                if (slash <= 0 || !Names.isSafe(rest.substring(0, slash))) {
                    continue;
                }
                String version = rest.substring(0, slash);
                String file = rest.substring(slash + 1);
                if (MANIFEST.equals(file)) {
                    releases.add(new ReleaseSummary(version, object.lastModified()));
                } else if (BUNDLE.equals(file)) {
                    bundles.add(version);
                }
            }
        } catch (SdkException e) {
            throw failures().translate(e, "listing " + layout.uri(root), "Nothing was changed.");
        }
        releases.sort(Comparator.comparing(ReleaseSummary::published)
                .thenComparing(ReleaseSummary::version, VersionOrder.NATURAL).reversed());
        releases.forEach(release -> bundles.remove(release.version()));
        return new ReleaseListing(List.copyOf(releases), List.copyOf(bundles));
    }

    /**
     * Deletes every release except the newest {@code keep} and those a channel points at or
     * pointed at before its last move (its rollback target). A release's manifest goes first, so
     * a half-done prune leaves unpublished bundles, never a manifest without its bundle.
     */
    public PruneResult prune(int keep, boolean dryRun) {
        if (keep < 1) {
            throw FleetDeployException.invalidInput("Prune was asked to keep " + keep + " releases.",
                    "Keep at least 1 (--keep N); channels' releases are kept in addition.");
        }
        List<ReleaseSummary> releases = list().releases();
        Set<String> pinned = pinnedVersions();
        List<String> kept = new ArrayList<>();
        List<String> doomed = new ArrayList<>();
        for (int i = 0; i < releases.size(); i++) {
            String version = releases.get(i).version();
            (i < keep || pinned.contains(version) ? kept : doomed).add(version);
        }
        if (dryRun || doomed.isEmpty()) {
            progress.info((dryRun ? "Would delete " : "Nothing to delete: ") + doomed.size() + " of " + releases.size() + " releases.");
            return new PruneResult(kept, doomed, pinned, dryRun);
        }
        // A channel may have moved since the listing: re-read the pointers just before deleting.
        Set<String> pinnedNow = pinnedVersions();
        doomed.removeIf(version -> pinnedNow.contains(version) && kept.add(version));
        deleteKeys(doomed.stream().map(layout::manifestKey).toList());
        deleteKeys(doomed.stream().map(layout::bundleKey).toList());
        progress.info("Deleted " + doomed.size() + " releases of " + layout.app() + "; kept " + kept.size() + ".");
        return new PruneResult(kept, doomed, pinnedNow, false);
    }

    private Set<String> pinnedVersions() {
        Set<String> pinned = new LinkedHashSet<>();
        for (Channel channel : channels()) {
            pinned.add(channel.pointer().version());
            if (channel.pointer().previous() != null) {
                pinned.add(channel.pointer().previous().version());
            }
        }
        return pinned;
    }

    private void deleteKeys(List<String> keys) {
        for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
            List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH)).stream()
                    .map(key -> ObjectIdentifier.builder().key(key).build()).toList();
            DeleteObjectsResponse response;
            try {
                response = s3().deleteObjects(b -> b.bucket(layout.bucket()).delete(Delete.builder().objects(batch).quiet(true).build()));
            } catch (SdkException e) {
                throw failures().translate(e, "deleting old releases", "Releases deleted before this batch stay deleted; the rest were kept.");
            }
            if (response.hasErrors() && !response.errors().isEmpty()) {
                throw new FleetDeployException("S3 refused to delete " + response.errors().size() + " objects, e.g. "
                        + layout.uri(response.errors().get(0).key()) + ": " + response.errors().get(0).code() + ".",
                        "Those objects were kept.", "Check s3:DeleteObject permission, then prune again.");
            }
        }
    }

    // ---------------------------------------------------------------- channels

    /** The channel's pointer, or empty when the channel does not exist yet. */
    public Optional<Channel> channel(String name) {
        String key = layout.channelKey(name);
        try {
            ResponseBytes<GetObjectResponse> pointer = getSmallObject(key);
            return Optional.of(new Channel(name, fromJson(pointer.asByteArray(), ChannelPointer.class, key, "Nothing was changed."),
                    pointer.response().eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failures().translate(e, "reading " + layout.uri(key), "Nothing was changed.");
        }
    }

    /** Every channel of the app. */
    public List<Channel> channels() {
        String root = layout.channelsRoot();
        List<Channel> channels = new ArrayList<>();
        try {
            for (S3Object object : s3().listObjectsV2Paginator(b -> b.bucket(layout.bucket()).prefix(root)).contents()) {
                String name = object.key().substring(root.length());
                if (name.endsWith(".json") && Names.isSafe(name.substring(0, name.length() - 5))) {
                    channel(name.substring(0, name.length() - 5)).ifPresent(channels::add);
                }
            }
        } catch (SdkException e) {
            throw failures().translate(e, "listing " + layout.uri(root), "Nothing was changed.");
        }
        return channels;
    }

    /**
     * Points a channel at a published version: a compare-and-set on the pointer object's ETag
     * ({@code If-Match}; {@code If-None-Match: *} for a new channel) that keeps the old value as
     * {@code previous}. Losing the race either retries from the new state or fails naming who moved it.
     *
     * <p>AWS S3 evaluates {@code If-Match} atomically with the write. S3Proxy 4.1 (hence the
     * sandbox) checks it in its HTTP handler before the write, so two moves from the same state
     * that arrive in the same instant can both succeed there; its {@code If-None-Match: *}, which
     * publishing relies on, is atomic (a hard link in its store).
     */
    public ChannelMove setChannel(ChannelUpdate update) {
        String name = Names.requireSafe("channel", update.channel());
        String version = Names.requireSafe("version", update.version());
        String key = layout.channelKey(name);
        Optional<Channel> current = channel(name);
        String unchanged = "Channel " + name + " was left " + describe(current) + ".";
        Manifest target = manifest(version, unchanged).orElseThrow(() -> new FleetDeployException(
                "Channel " + name + " of " + layout.app() + " cannot point at version " + version + ": it is not published (no "
                        + layout.uri(layout.manifestKey(version)) + ").", unchanged,
                "Publish " + version + " first, or pick a published version (fleet-deploy releases list)."));
        if (update.expectedEtag() != null && !update.expectedEtag().equals(current.map(Channel::objectEtag).orElse(null))) {
            if (!update.retryIfMoved()) {
                throw lostRace(name, version, current);
            }
            progress.info("Channel " + name + " changed since it was read; moving it from its current state.");
        }
        for (int attempt = 1; attempt <= MAX_CHANNEL_ATTEMPTS; attempt++) {
            if (current.isPresent() && current.get().pointer().version().equals(version)
                    && current.get().pointer().sha256().equals(target.sha256())) {
                progress.info("Channel " + name + " already points at " + version + "; nothing to change.");
                return new ChannelMove(name, current.get().pointer(), false, attempt);
            }
            ChannelPointer pointer = new ChannelPointer(version, target.sha256(), target.etag(), clock.instant(), update.updatedBy(),
                    current.map(c -> new ChannelPointer.Previous(c.pointer().version(), c.pointer().sha256())).orElse(null));
            PutObjectRequest.Builder put = PutObjectRequest.builder().bucket(layout.bucket()).key(key).contentType("application/json");
            if (current.isPresent()) {
                put.ifMatch(current.get().objectEtag());
            } else {
                put.ifNoneMatch("*");
            }
            try {
                putSmallObject(update.encryption().applyTo(put).build(), toJson(pointer));
                progress.info("Channel " + name + " of " + layout.app() + " now points at " + version
                        + (pointer.previous() != null ? " (was " + pointer.previous().version() + ")" : " (new channel)"));
                return new ChannelMove(name, pointer, true, attempt);
            } catch (SdkException e) {
                if (!S3Failures.isPreconditionFailed(e)) {
                    throw failures().translate(e, "writing " + layout.uri(key), "Channel " + name + " was left " + describe(current) + ".");
                }
            }
            Optional<Channel> moved = channel(name);
            if (!update.retryIfMoved()) {
                throw lostRace(name, version, moved);
            }
            progress.info("Channel " + name + " was moved meanwhile by " + moved.map(c -> c.pointer().updatedBy()).orElse("someone")
                    + "; trying again from " + describe(moved) + ".");
            current = moved;
        }
        throw new FleetDeployException("Channel " + name + " kept moving under this command: " + MAX_CHANNEL_ATTEMPTS
                + " compare-and-set attempts to point it at " + version + " lost to other writers.",
                "Channel " + name + " was left as the other writers set it, " + describe(current) + ".",
                "Find out who else moves it, then run again.");
    }

    private FleetDeployException lostRace(String name, String version, Optional<Channel> now) {
        String who = now.map(c -> c.pointer().updatedBy() + " at " + c.pointer().updated()).orElse("another writer, who deleted it");
        return new FleetDeployException("Channel " + name + " of " + layout.app() + " was moved by " + who
                + " while this command was pointing it at " + version + ".",
                "Channel " + name + " was left as that writer set it, " + describe(now) + ".",
                "Check that this is what you want; to move it anyway run again (with --retry, the move retries on such races).");
    }

    private static String describe(Optional<Channel> channel) {
        return channel.map(c -> "at version " + c.pointer().version()).orElse("absent");
    }

    // ---------------------------------------------------------------- helpers

    private byte[] toJson(Object value) {
        try {
            return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Records of plain values always serialize", e);
        }
    }

    private <T> T fromJson(byte[] json, Class<T> type, String key, String leftUnchanged) {
        try {
            return Json.mapper().readValue(json, type);
        } catch (IOException e) {
            throw new FleetDeployException(layout.uri(key) + " is not a valid " + type.getSimpleName() + " (" + e.getMessage().lines().findFirst().orElse("") + ").",
                    leftUnchanged, "It was written by something other than fleet-deploy: restore or remove it.", e);
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete the temporary file " + path, e);
        }
    }

    @Override
    public synchronized void close() {
        if (transfers != null) {
            transfers.close();
        }
        if (ownsClients) {
            if (ownedMultipart != null) {
                ownedMultipart.close();
            }
            if (s3 != null) {
                s3.close();
            }
        }
    }
}
