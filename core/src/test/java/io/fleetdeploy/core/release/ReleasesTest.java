package io.fleetdeploy.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

class ReleasesTest {

    /** Small parts, so a 6 MiB bundle already goes up as a parallel multipart upload. */
    private static final long PART_SIZE = 5L * 1024 * 1024;

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @TempDir
    Path temp;

    private final List<String> progressLines = Collections.synchronizedList(new ArrayList<>());
    private final ProgressListener progress = progressLines::add;
    /** One for the class: an async client's event loop takes seconds to shut down. */
    private static S3AsyncClient multipart;
    private Releases releases;

    @BeforeAll
    static void multipartClient() {
        multipart = AwsClients.s3Multipart(S3.settings(), PART_SIZE);
    }

    @AfterAll
    static void closeMultipartClient() {
        multipart.close();
    }

    @BeforeEach
    void connect() {
        releases = releasesOf(S3.bucket());
    }

    @AfterEach
    void close() {
        releases.close();
    }

    private Releases releasesOf(String bucket) {
        return new Releases(S3.client(), multipart, S3Layout.of(bucket, "deploy", "shop"), Clock.systemUTC(), progress);
    }

    /** A Releases of the test bucket over other clients (the caller closes them). */
    private Releases releasesThrough(S3Client sync, S3AsyncClient uploads) {
        return new Releases(sync, uploads, S3Layout.of(S3.bucket(), "deploy", "shop"), Clock.systemUTC(), progress);
    }

    @Test
    void publishesADirectoryAndDownloadsTheVerifiedBundle() throws IOException {
        Path app = appDirectory("one", "1");

        PublishResult result = releases.publish(PublishRequest.of(app, "1.0.0")
                .withMetadata("schema-7", "0a1b2c3d", "https://ci.example.com/job/shop/12/"));

        Manifest manifest = result.manifest();
        assertThat(result.alreadyPublished()).isFalse();
        assertThat(manifest.app()).isEqualTo("shop");
        assertThat(manifest.version()).isEqualTo("1.0.0");
        assertThat(manifest.schemaKey()).isEqualTo("schema-7");
        assertThat(manifest.gitCommit()).isEqualTo("0a1b2c3d");
        assertThat(manifest.buildUrl()).isEqualTo("https://ci.example.com/job/shop/12/");
        assertThat(manifest.migrations()).isEqualTo("db/migration");
        assertThat(manifest.bundleKey()).isEqualTo("deploy/shop/releases/1.0.0/bundle.tar.gz");
        assertThat(manifest.etag()).isEqualTo(S3.objects().get(manifest.bundleKey()));
        assertThat(S3.objects()).containsOnlyKeys("deploy/shop/releases/1.0.0/bundle.tar.gz", "deploy/shop/releases/1.0.0/manifest.json");
        byte[] stored = S3.read(manifest.bundleKey());
        assertThat(manifest.size()).isEqualTo(stored.length);
        assertThat(manifest.sha256()).isEqualTo(Sha256.of(new java.io.ByteArrayInputStream(stored)));
        assertThat(releases.requireManifest("1.0.0")).isEqualTo(manifest);

        Path downloaded = temp.resolve("down/bundle.tar.gz");
        assertThat(releases.downloadBundle("1.0.0", downloaded)).isEqualTo(manifest);
        assertThat(Files.readAllBytes(downloaded)).isEqualTo(stored);
    }

    @Test
    void manifestJsonHasTheFieldsTheAgentReads() throws IOException {
        releases.publish(PublishRequest.of(appDirectory("one", "1"), "7"));

        var json = io.fleetdeploy.core.Json.mapper().readTree(S3.read("deploy/shop/releases/7/manifest.json"));

        assertThat(json.fieldNames()).toIterable().contains("app", "version", "sha256", "size", "created", "migrations", "bundleKey", "etag");
        assertThat(json.get("sha256").asText()).matches("[0-9a-f]{64}");
        assertThat(json.get("created").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
        assertThat(json.get("size").isNumber()).isTrue();
    }

    @Test
    void republishingTheSameBytesIsANoOpThatSaysSo() throws IOException {
        Path app = appDirectory("one", "1");
        Manifest first = releases.publish(PublishRequest.of(app, "1.0.0")).manifest();
        Map<String, String> before = S3.objects();
        progressLines.clear();

        PublishResult again = releases.publish(PublishRequest.of(appDirectory("copy", "1"), "1.0.0"));

        assertThat(again.alreadyPublished()).isTrue();
        assertThat(again.manifest()).isEqualTo(first);
        assertThat(S3.objects()).isEqualTo(before);
        assertThat(progressLines).anyMatch(line -> line.contains("already published with the same bytes"));
    }

    @Test
    void otherBytesUnderAPublishedVersionAreRefusedNamingBothChecksums() throws IOException {
        Manifest first = releases.publish(PublishRequest.of(appDirectory("one", "1"), "1.0.0")).manifest();
        Map<String, String> before = S3.objects();
        Path other = appDirectory("two", "2");
        Path otherBundle = temp.resolve("other.tar.gz");
        new BundlePacker().pack(other, otherBundle);

        assertThatThrownBy(() -> releases.publish(PublishRequest.of(other, "1.0.0")))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining(first.sha256())
                .hasMessageContaining(Sha256.of(otherBundle))
                .hasMessageContaining("left as it was");
        assertThat(S3.objects()).isEqualTo(before);
    }

    @Test
    void aPublishThatMovesAChannelMakesEveryCallThroughTheUploadClient() throws IOException {
        ExecutionInterceptor refuse = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                throw new IllegalStateException("the sync client was asked for " + context.request().getClass().getSimpleName());
            }
        };
        try (S3Client syncRefusing = AwsClients.s3(S3.settings(), List.of(refuse));
             Releases publishing = releasesThrough(syncRefusing, multipart)) {

            PublishResult first = publishing.publish(PublishRequest.of(appDirectory("one", "1"), "10.0").withChannel("prod"));
            PublishResult second = publishing.publish(PublishRequest.of(appDirectory("two", "2"), "10.1").withChannel("prod"));

            assertThat(first.channelMove().moved()).isTrue();
            assertThat(second.channelMove().moved()).isTrue();
        }
        ChannelPointer prod = releases.channel("prod").orElseThrow().pointer();
        assertThat(prod.version()).isEqualTo("10.1");
        assertThat(prod.previous().version()).isEqualTo("10.0");
    }

    @Test
    void largeBundlesGoUpInPartsAndKeepTheirChecksum() throws IOException {
        Path big = randomFile("big.tar.gz", 6 * 1024 * 1024, 1);

        Manifest manifest = releases.publish(PublishRequest.of(big, "2.0.0")).manifest();

        assertThat(manifest.sha256()).isEqualTo(Sha256.of(big));
        // A multipart ETag is "<md5 of the part md5s>-<number of parts>".
        assertThat(manifest.etag()).matches("\"?[0-9a-f]{32}-2\"?");
        assertThat(S3.client().listMultipartUploads(b -> b.bucket(S3.bucket())).uploads()).isEmpty();
        Path downloaded = temp.resolve("big-down.tar.gz");
        releases.downloadBundle("2.0.0", downloaded);
        assertThat(Sha256.of(downloaded)).isEqualTo(manifest.sha256());
        assertThat(progressLines).anyMatch(line -> line.startsWith("Uploaded 6.0 MiB") && line.contains("MB/s"));
    }

    @Test
    void aBundleOfManyPartsSendsAtMostPartsInFlightOfThemAtOnce() throws IOException {
        int parts = AwsClients.PARTS_IN_FLIGHT + 2;
        Path big = randomFile("many-parts.tar.gz", (int) (parts * PART_SIZE), 9);
        AtomicInteger sending = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        ExecutionInterceptor countParts = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof UploadPartRequest) {
                    mostAtOnce.accumulateAndGet(sending.incrementAndGet(), Math::max);
                }
            }

            @Override
            public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof UploadPartRequest) {
                    sending.decrementAndGet();
                }
            }
        };
        S3AsyncClient counting = AwsClients.s3Multipart(S3.settings(), PART_SIZE, null, List.of(countParts));
        try (Releases counted = releasesThrough(S3.client(), counting)) {

            Manifest manifest = counted.publish(PublishRequest.of(big, "2.1.0")).manifest();

            assertThat(manifest.etag()).matches("\"?[0-9a-f]{32}-" + parts + "\"?");
            assertThat(mostAtOnce.get()).isBetween(2, AwsClients.PARTS_IN_FLIGHT);
        } finally {
            counting.close();
        }
    }

    @Test
    void serverSideEncryptionAppliesToTheBundleAndTheManifest() throws IOException {
        Path big = randomFile("big.tar.gz", 6 * 1024 * 1024, 7);

        Manifest manifest = releases.publish(PublishRequest.of(big, "8.0").withEncryption(Encryption.of("aws:kms", "alias/releases"))).manifest();

        for (String key : List.of(manifest.bundleKey(), "deploy/shop/releases/8.0/manifest.json")) {
            var head = S3.client().headObject(b -> b.bucket(S3.bucket()).key(key));
            assertThat(head.serverSideEncryptionAsString()).as(key).isEqualTo("aws:kms");
        }
    }

    @Test
    void aVersionedBucketGivesTheManifestTheBundlesVersionId() throws IOException {
        S3.client().putBucketVersioning(b -> b.bucket(S3.bucket()).versioningConfiguration(v -> v.status("Enabled")));

        Manifest manifest = releases.publish(PublishRequest.of(appDirectory("one", "1"), "9.0")).manifest();

        assertThat(manifest.versionId()).isNotBlank();
        assertThat(S3.client().headObject(b -> b.bucket(S3.bucket()).key(manifest.bundleKey())).versionId()).isEqualTo(manifest.versionId());
    }

    @Test
    void concurrentPublishersOfOneVersionWithOtherBytesHaveExactlyOneWinner() throws Exception {
        List<Path> bundles = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            // Two small (single PutObject) and two multipart contenders.
            bundles.add(randomFile("contender-" + i + ".tar.gz", i % 2 == 0 ? 64 * 1024 : 6 * 1024 * 1024, 10 + i));
        }
        List<Outcome> outcomes = race(bundles.stream().map(bundle -> (Callable<PublishResult>) () ->
                releases.publish(PublishRequest.of(bundle, "3.0.0"))).toList());

        List<Outcome> winners = outcomes.stream().filter(o -> o.result() != null).toList();
        assertThat(winners).hasSize(1);
        assertThat(outcomes.stream().filter(o -> o.failure() != null))
                .hasSize(3)
                .allSatisfy(o -> assertThat(o.failure()).isInstanceOf(FleetDeployException.class).hasMessageContaining("3.0.0"));
        Manifest winner = winners.get(0).result().manifest();
        assertThat(Sha256.of(new java.io.ByteArrayInputStream(S3.read(winner.bundleKey())))).isEqualTo(winner.sha256());
        assertThat(releases.requireManifest("3.0.0")).isEqualTo(winner);
        assertThat(S3.client().listMultipartUploads(b -> b.bucket(S3.bucket())).uploads()).isEmpty();
    }

    @Test
    void aMultipartPublishThatLosesTheRaceAbortsItsUploadBeforeItReturns() throws Exception {
        Path mine = randomFile("mine.tar.gz", 6 * 1024 * 1024, 20);
        String key = "deploy/shop/releases/6.0.0/bundle.tar.gz";
        // Another publisher stores other bytes while this one uploads its parts: its CompleteMultipartUpload gets 412.
        try (SteppingInMultipartClient client = new SteppingInMultipartClient(
                created -> S3.client().putObject(b -> b.bucket(S3.bucket()).key(key), RequestBody.fromString("the winner's bytes")), null);
             Releases racing = releasesThrough(S3.client(), client.s3)) {

            assertThatThrownBy(() -> racing.publish(PublishRequest.of(mine, "6.0.0")))
                    .isInstanceOfSatisfying(FleetDeployException.class, e -> assertThat(e.leftUnchanged())
                            .contains("no manifest was written").contains("its incomplete multipart upload was aborted"))
                    .hasMessageContaining("already holds other bytes");

            // The SDK's own abort never went out: the publish aborted its upload itself before it returned.
            assertThat(client.createdUploads).hasSize(1);
            assertThat(S3.client().listMultipartUploads(b -> b.bucket(S3.bucket())).uploads()).isEmpty();
            assertThat(S3.objects()).containsOnlyKeys(key);
            assertThat(S3.read(key)).asString().isEqualTo("the winner's bytes");
        }
    }

    @Test
    void aMultipartPublishThatFailsMidwayAbortsItsUploadBeforeItReturns() throws Exception {
        Path mine = randomFile("mine.tar.gz", 6 * 1024 * 1024, 21);
        try (SteppingInMultipartClient client = SteppingInMultipartClient.failingAtComplete();
             Releases failing = releasesThrough(S3.client(), client.s3)) {

            assertThatThrownBy(() -> failing.publish(PublishRequest.of(mine, "6.1.0")))
                    .isInstanceOfSatisfying(FleetDeployException.class, e -> assertThat(e.leftUnchanged())
                            .contains("This publish stored nothing: its incomplete multipart upload was aborted."))
                    .hasMessageContaining("connection reset");

            assertThat(client.createdUploads).hasSize(1);
            assertThat(S3.client().listMultipartUploads(b -> b.bucket(S3.bucket())).uploads()).isEmpty();
            assertThat(S3.objects()).isEmpty();
        }
    }

    @Test
    void anUploadStillListedAfterItsAbortIsAbortedOnceMore() throws Exception {
        Path mine = randomFile("mine.tar.gz", 6 * 1024 * 1024, 22);
        List<String> abortsSent = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (SteppingInMultipartClient client = SteppingInMultipartClient.failingAtComplete();
             S3Client firstAbortMisses = AwsClients.s3(S3.settings(), List.of(abortsThatMiss(1, abortsSent)));
             Releases failing = releasesThrough(firstAbortMisses, client.s3)) {

            assertThatThrownBy(() -> failing.publish(PublishRequest.of(mine, "6.2.0")))
                    .isInstanceOfSatisfying(FleetDeployException.class, e -> assertThat(e.leftUnchanged())
                            .contains("This publish stored nothing: its incomplete multipart upload was aborted."))
                    .hasMessageContaining("connection reset");

            assertThat(client.createdUploads).hasSize(1);
            assertThat(abortsSent).as("aborts sent for the upload").containsExactly(client.createdUploads.get(0), client.createdUploads.get(0));
            assertThat(S3.client().listMultipartUploads(b -> b.bucket(S3.bucket())).uploads()).isEmpty();
            assertThat(S3.objects()).isEmpty();
        }
    }

    @Test
    void anUploadStillListedAfterTwoAbortsIsReportedWithTheCommandThatAbortsIt() throws Exception {
        Path mine = randomFile("mine.tar.gz", 6 * 1024 * 1024, 23);
        List<String> abortsSent = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (SteppingInMultipartClient client = SteppingInMultipartClient.failingAtComplete();
             S3Client everyAbortMisses = AwsClients.s3(S3.settings(), List.of(abortsThatMiss(Integer.MAX_VALUE, abortsSent)));
             Releases failing = releasesThrough(everyAbortMisses, client.s3)) {

            String key = "deploy/shop/releases/6.3.0/bundle.tar.gz";
            assertThatThrownBy(() -> failing.publish(PublishRequest.of(mine, "6.3.0")))
                    .isInstanceOfSatisfying(FleetDeployException.class, e -> assertThat(e.leftUnchanged())
                            .contains("its incomplete multipart upload could not be aborted")
                            .contains("aws s3api abort-multipart-upload --bucket " + S3.bucket() + " --key " + key
                                    + " --upload-id " + client.createdUploads.get(0)))
                    .hasMessageContaining("connection reset");

            assertThat(abortsSent).as("aborts sent for the upload: bounded").hasSize(2);
            assertThat(S3.client().listMultipartUploads(b -> b.bucket(S3.bucket())).uploads())
                    .as("what the message says is left").singleElement()
                    .satisfies(upload -> assertThat(upload.uploadId()).isEqualTo(client.createdUploads.get(0)));
            assertThat(S3.objects()).isEmpty();
            // The reported upload is the only thing left behind, and the command the message names would remove it.
            S3.client().abortMultipartUpload(b -> b.bucket(S3.bucket()).key(key).uploadId(client.createdUploads.get(0)));
            assertThat(S3.client().listMultipartUploads(b -> b.bucket(S3.bucket())).uploads()).isEmpty();
        }
    }

    /**
     * For a plain S3 client: the first {@code misses} AbortMultipartUpload requests name an upload
     * that does not exist, so S3 answers NoSuchUpload while the real upload stays listed, as S3 does
     * after an abort that a part still in flight outlived. Records the upload id of every abort.
     */
    private static ExecutionInterceptor abortsThatMiss(int misses, List<String> abortsSent) {
        java.util.concurrent.atomic.AtomicInteger missed = new java.util.concurrent.atomic.AtomicInteger();
        return new ExecutionInterceptor() {
            @Override
            public software.amazon.awssdk.http.SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context,
                                                                                 ExecutionAttributes attributes) {
                if (context.request() instanceof AbortMultipartUploadRequest abort) {
                    abortsSent.add(abort.uploadId());
                    if (missed.getAndIncrement() < misses) {
                        return context.httpRequest().toBuilder().putRawQueryParameter("uploadId", "no-such-upload").build();
                    }
                }
                return context.httpRequest();
            }
        };
    }

    /**
     * A multipart client (small parts) that steps in after CreateMultipartUpload, can fail the
     * CompleteMultipartUpload, and never lets the SDK abort an upload itself: as when the command
     * exits right after a failed publish, before the SDK's own (later, asynchronous) abort is sent.
     */
    private static final class SteppingInMultipartClient implements AutoCloseable {
        final List<String> createdUploads = new java.util.concurrent.CopyOnWriteArrayList<>();
        final S3AsyncClient s3;

        /** Fails the CompleteMultipartUpload as a connection reset would, after all parts went up. */
        static SteppingInMultipartClient failingAtComplete() {
            return new SteppingInMultipartClient(created -> { },
                    SdkClientException.create("connection reset (simulated before CompleteMultipartUpload)"));
        }

        SteppingInMultipartClient(java.util.function.Consumer<String> afterCreate, RuntimeException failComplete) {
            ExecutionInterceptor stepIn = new ExecutionInterceptor() {
                @Override
                public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                    if (context.request() instanceof CompleteMultipartUploadRequest && failComplete != null) {
                        throw failComplete;
                    }
                    if (context.request() instanceof AbortMultipartUploadRequest) {
                        throw SdkClientException.create("the command exited before the SDK's own abort (simulated)");
                    }
                }

                @Override
                public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
                    if (context.response() instanceof CreateMultipartUploadResponse created) {
                        createdUploads.add(created.uploadId());
                        afterCreate.accept(created.uploadId());
                    }
                }
            };
            s3 = AwsClients.s3Multipart(S3.settings(), PART_SIZE, null, List.of(stepIn));
        }

        @Override
        public void close() {
            s3.close();
        }
    }

    @Test
    void concurrentPublishersOfTheSameBytesAllSucceedAndOneWritesTheManifest() throws Exception {
        Path bundle = randomFile("same.tar.gz", 256 * 1024, 3);
        List<Outcome> outcomes = race(List.of(
                () -> releases.publish(PublishRequest.of(bundle, "4.0.0")),
                () -> releases.publish(PublishRequest.of(bundle, "4.0.0")),
                () -> releases.publish(PublishRequest.of(bundle, "4.0.0"))));

        assertThat(outcomes).allSatisfy(o -> assertThat(o.failure()).isNull());
        assertThat(outcomes.stream().filter(o -> !o.result().alreadyPublished())).hasSize(1);
        assertThat(outcomes.stream().map(o -> o.result().manifest()).distinct()).hasSize(1);
    }

    @Test
    void aBundleWithoutManifestIsAdoptedWhenIdenticalAndRefusedOtherwise() throws IOException {
        Path mine = randomFile("mine.tar.gz", 100_000, 4);
        String key = "deploy/shop/releases/5.0.0/bundle.tar.gz";
        S3.client().putObject(b -> b.bucket(S3.bucket()).key(key), RequestBody.fromFile(mine));

        Manifest adopted = releases.publish(PublishRequest.of(mine, "5.0.0")).manifest();
        assertThat(adopted.sha256()).isEqualTo(Sha256.of(mine));
        assertThat(adopted.etag()).isEqualTo(S3.objects().get(key));

        String otherKey = "deploy/shop/releases/5.0.1/bundle.tar.gz";
        S3.client().putObject(b -> b.bucket(S3.bucket()).key(otherKey), RequestBody.fromString("someone else's bytes"));
        Map<String, String> before = S3.objects();
        assertThatThrownBy(() -> releases.publish(PublishRequest.of(mine, "5.0.1")))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("already holds other bytes")
                .hasMessageContaining(Sha256.of(mine))
                .hasMessageContaining(Sha256.of(new java.io.ByteArrayInputStream("someone else's bytes".getBytes())));
        assertThat(S3.objects()).isEqualTo(before);
        assertThat(releases.list().incomplete()).containsExactly("5.0.1");
    }

    @Test
    void downloadRefusesABundleThatNoLongerMatchesItsManifest() throws IOException {
        Manifest manifest = releases.publish(PublishRequest.of(appDirectory("one", "1"), "6")).manifest();
        S3.client().putObject(b -> b.bucket(S3.bucket()).key(manifest.bundleKey()), RequestBody.fromString("tampered"));
        Path target = temp.resolve("dl/bundle.tar.gz");

        assertThatThrownBy(() -> releases.downloadBundle("6", target))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("was not written");
        assertThat(target).doesNotExist();
        assertThat(target.getParent()).isEmptyDirectory();
    }

    @Test
    void badInputIsRefusedBeforeAnyRequestAndChangesNothing() throws IOException {
        Path app = appDirectory("one", "1");
        releases.publish(PublishRequest.of(app, "1"));
        Map<String, String> before = S3.objects();

        assertRefused(() -> releases.publish(PublishRequest.of(app, "../1")), "version");
        assertRefused(() -> releases.publish(PublishRequest.of(app, "1 ; rm -rf /")), "version");
        assertRefused(() -> releases.publish(PublishRequest.of(temp.resolve("missing"), "2")), "does not exist");
        assertRefused(() -> releases.publish(PublishRequest.of(app, "2").withChannel("prod/x")), "channel");
        assertRefused(() -> releases.publish(PublishRequest.of(app, "2").withMetadata("bad key", null, null)), "schema key");
        assertRefused(() -> releases.publish(PublishRequest.of(app, "2").withMetadata(null, "abc;def", null)), "git commit");
        assertRefused(() -> releases.publish(PublishRequest.of(app, "2").withMetadata(null, null, "file:///etc/passwd")), "build URL");
        assertRefused(() -> Encryption.of("AES256", "key-1"), "aws:kms");
        assertRefused(() -> Encryption.of("rot13", null), "not supported");
        assertRefused(() -> releases.setChannel(ChannelUpdate.of("prod", "9.9.9", "me", false)), "not published");
        assertRefused(() -> releases.prune(0, false), "keep");
        Path unreadable = Files.writeString(temp.resolve("unreadable.tar.gz"), "x");
        unreadable.toFile().setReadable(false);
        if (!Files.isReadable(unreadable)) { // root reads everything
            assertRefused(() -> releases.publish(PublishRequest.of(unreadable, "2")), "not readable");
        }

        assertThat(S3.objects()).isEqualTo(before);
    }

    @Test
    void aMissingBucketIsNamedWithItsRegion() throws IOException {
        Path app = appDirectory("one", "1");
        try (Releases missing = releasesOf("no-such-bucket-here")) {
            assertThatThrownBy(() -> missing.publish(PublishRequest.of(app, "1")))
                    .isInstanceOf(FleetDeployException.class)
                    .hasMessageContaining("bucket 'no-such-bucket-here' does not exist")
                    .hasMessageContaining("region us-east-1")
                    .hasMessageContaining("Nothing was uploaded");
        }
        assertThat(S3.client().listBuckets().buckets()).noneMatch(b -> b.name().equals("no-such-bucket-here"));
    }

    @Test
    void wrongCredentialsAreReportedAndChangeNothing() throws IOException {
        Path app = appDirectory("one", "1");
        var wrong = S3.settings().withCredentials(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3.accessKey(), "wrong-secret")));
        try (Releases withWrongKeys = Releases.connect(wrong, S3Layout.of(S3.bucket(), "deploy", "shop"), progress)) {
            assertThatThrownBy(() -> withWrongKeys.publish(PublishRequest.of(app, "1")))
                    .isInstanceOf(FleetDeployException.class)
                    .hasMessageContaining("rejected the credentials")
                    .hasMessageContaining("SignatureDoesNotMatch")
                    .hasMessageNotContaining("wrong-secret");
        }
        assertThat(S3.objects()).isEmpty();
    }

    // ------------------------------------------------------------ channels

    @Test
    void channelMovesKeepThePreviousVersion() throws IOException {
        Manifest one = releases.publish(PublishRequest.of(appDirectory("one", "1"), "1")).manifest();
        Manifest two = releases.publish(PublishRequest.of(appDirectory("two", "2"), "2")).manifest();

        ChannelMove first = releases.setChannel(ChannelUpdate.of("prod", "1", "alice@ci", false));
        ChannelMove second = releases.setChannel(ChannelUpdate.of("prod", "2", "bob@ci", false));
        ChannelMove same = releases.setChannel(ChannelUpdate.of("prod", "2", "bob@ci", false));

        assertThat(first.pointer().previous()).isNull();
        assertThat(second.moved()).isTrue();
        assertThat(same.moved()).isFalse();
        ChannelPointer stored = releases.channel("prod").orElseThrow().pointer();
        assertThat(stored.version()).isEqualTo("2");
        assertThat(stored.sha256()).isEqualTo(two.sha256());
        assertThat(stored.etag()).isEqualTo(two.etag());
        assertThat(stored.updatedBy()).isEqualTo("bob@ci");
        assertThat(stored.previous()).isEqualTo(new ChannelPointer.Previous("1", one.sha256()));
    }

    @Test
    void aStaleMoveFailsNamingWhoMovedTheChannelOrRetriesWhenAllowed() throws IOException {
        releases.publish(PublishRequest.of(appDirectory("one", "1"), "1"));
        releases.publish(PublishRequest.of(appDirectory("two", "2"), "2"));
        releases.publish(PublishRequest.of(appDirectory("three", "3"), "3"));
        releases.setChannel(ChannelUpdate.of("prod", "1", "alice@ci", false));
        String seenByBob = releases.channel("prod").orElseThrow().objectEtag();
        releases.setChannel(ChannelUpdate.of("prod", "2", "carol@ci", false)); // moves it under Bob's feet
        Map<String, String> before = S3.objects();

        assertThatThrownBy(() -> releases.setChannel(ChannelUpdate.of("prod", "3", "bob@ci", false).expecting(seenByBob)))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("moved by carol@ci")
                .hasMessageContaining("left as that writer set it, at version 2");
        assertThat(S3.objects()).isEqualTo(before);

        ChannelMove retried = releases.setChannel(ChannelUpdate.of("prod", "3", "bob@ci", true).expecting(seenByBob));
        assertThat(retried.pointer().previous().version()).isEqualTo("2");
        assertThat(releases.channel("prod").orElseThrow().pointer().version()).isEqualTo("3");
    }

    // ------------------------------------------------------------ listing and prune

    @Test
    void listsThousandsOfReleasesAcrossPagesNewestFirst() throws Exception {
        int count = 1001; // one more than S3's largest page
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String key = "deploy/shop/releases/1." + i + "/manifest.json";
                puts.add(pool.submit(() -> S3.client().putObject(b -> b.bucket(S3.bucket()).key(key), RequestBody.fromString("{}"))));
            }
            for (Future<?> put : puts) {
                put.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        // Published later than all of them: must come first although its version sorts low.
        waitUntilTheClockPassesTheSecond();
        releases.publish(PublishRequest.of(appDirectory("hotfix", "h"), "0.9-hotfix"));

        List<ReleaseSummary> listed = releases.list().releases();

        assertThat(listed).hasSize(count + 1);
        assertThat(listed.get(0).version()).isEqualTo("0.9-hotfix");
        assertThat(listed.stream().map(ReleaseSummary::version).distinct()).hasSize(count + 1);
        // Newest first; within one second (S3's LastModified precision) natural version order, descending.
        // The puts may span several seconds on a busy machine, so check the order itself.
        assertThat(listed).isSortedAccordingTo(Comparator.comparing(ReleaseSummary::published).reversed()
                .thenComparing(ReleaseSummary::version, VersionOrder.NATURAL.reversed()));
    }

    @Test
    void pruneKeepsTheNewestAndEveryVersionAChannelPointsAt() throws Exception {
        for (int i = 1; i <= 6; i++) {
            releases.publish(PublishRequest.of(randomFile("p" + i + ".tar.gz", 512, 300 + i), "p" + i));
            waitUntilTheClockPassesTheSecond();
        }
        releases.setChannel(ChannelUpdate.of("prod", "p1", "ops", false));
        releases.setChannel(ChannelUpdate.of("prod", "p2", "ops", false)); // p1 stays as prod's rollback target
        releases.setChannel(ChannelUpdate.of("beta", "p4", "ops", false));
        Map<String, String> before = S3.objects();

        PruneResult dryRun = releases.prune(1, true);
        assertThat(dryRun.deleted()).containsExactlyInAnyOrder("p3", "p5");
        assertThat(S3.objects()).isEqualTo(before);

        PruneResult pruned = releases.prune(1, false);

        assertThat(pruned.kept()).containsExactlyInAnyOrder("p6", "p4", "p2", "p1");
        assertThat(pruned.deleted()).containsExactlyInAnyOrder("p3", "p5");
        assertThat(releases.list().releases()).extracting(ReleaseSummary::version).containsExactly("p6", "p4", "p2", "p1");
        assertThat(S3.objects().keySet()).noneMatch(key -> key.contains("/p3/") || key.contains("/p5/"));
        assertThat(S3.objects().keySet()).contains("deploy/shop/channels/prod.json", "deploy/shop/channels/beta.json");
    }

    // ------------------------------------------------------------ helpers

    private record Outcome(PublishResult result, ChannelMove move, Throwable failure) {
    }

    /** Runs the calls at the same moment, each on its own thread, and collects what each ended with. */
    private static <T> List<Outcome> race(List<Callable<T>> calls) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> call : calls) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            start.countDown();
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<T> future : futures) {
                try {
                    T value = future.get(120, TimeUnit.SECONDS);
                    outcomes.add(value instanceof PublishResult r ? new Outcome(r, null, null) : new Outcome(null, (ChannelMove) value, null));
                } catch (java.util.concurrent.ExecutionException e) {
                    outcomes.add(new Outcome(null, null, e.getCause()));
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("A racer did not finish within 120 s", e);
                }
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    /** S3 timestamps have whole seconds: wait (bounded) until the wall clock is in the next second. */
    private static void waitUntilTheClockPassesTheSecond() throws InterruptedException {
        long second = System.currentTimeMillis() / 1000;
        long deadline = System.currentTimeMillis() + 2000;
        while (System.currentTimeMillis() / 1000 == second) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("The clock did not pass a second boundary within 2 s");
            }
            Thread.sleep(20);
        }
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String mentions) {
        assertThatThrownBy(call).isInstanceOf(FleetDeployException.class).hasMessageContaining(mentions);
    }

    private Path appDirectory(String name, String content) throws IOException {
        Path root = temp.resolve(name);
        Files.createDirectories(root.resolve("hooks"));
        Files.createDirectories(root.resolve("db/migration"));
        Files.writeString(root.resolve("app.properties"), "release=" + content + "\n");
        Files.writeString(root.resolve("hooks/start"), "#!/bin/sh\necho start " + content + "\n");
        root.resolve("hooks/start").toFile().setExecutable(true);
        Files.writeString(root.resolve("db/migration/V1__init.sql"), "create table t (id int);\n");
        return root;
    }

    private Path randomFile(String name, int size, long seed) throws IOException {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        data[0] = 0x1f; // looks like gzip, so no warning
        data[1] = (byte) 0x8b;
        return Files.write(temp.resolve(name), data);
    }
}
