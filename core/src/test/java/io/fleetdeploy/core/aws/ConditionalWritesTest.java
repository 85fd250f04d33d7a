package io.fleetdeploy.core.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.testing.Await;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Pins the S3 behaviour releases rely on, as our clients meet it on the S3 protocol:
 * {@code If-None-Match: *} refuses to replace an object, on PutObject and on the
 * CompleteMultipartUpload of the SDK's own multipart upload, and a refused multipart upload
 * leaves no parts behind.
 */
class ConditionalWritesTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    @Test
    void ifNoneMatchRefusesToReplaceAnObjectWithPutObject() {
        S3.client().putObject(b -> b.bucket(S3.bucket()).key("k"), RequestBody.fromString("first"));

        assertThatThrownBy(() -> S3.client().putObject(b -> b.bucket(S3.bucket()).key("k").ifNoneMatch("*"), RequestBody.fromString("second")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(412));
        assertThat(S3.read("k")).asString().isEqualTo("first");
    }

    @Test
    void ifNoneMatchRefusesToReplaceAnObjectWithAMultipartUpload(@TempDir Path temp) throws Exception {
        Path big = temp.resolve("big");
        byte[] data = new byte[6 * 1024 * 1024];
        new Random(1).nextBytes(data);
        Files.write(big, data);
        try (MultipartClient client = MultipartClient.create(S3.settings(), 5L * 1024 * 1024)) {
            S3AsyncClient multipart = client.client();
            String etag = multipart.putObject(b -> b.bucket(S3.bucket()).key("big").ifNoneMatch("*"), AsyncRequestBody.fromFile(big))
                    .join().eTag();
            assertThat(etag).as("a multipart ETag names its parts").endsWith("-2\"");

            S3.client().putObject(b -> b.bucket(S3.bucket()).key("small"), RequestBody.fromString("first"));
            assertThatThrownBy(() -> multipart.putObject(b -> b.bucket(S3.bucket()).key("small").ifNoneMatch("*"),
                            AsyncRequestBody.fromFile(big)).join())
                    .isInstanceOf(CompletionException.class)
                    .cause().isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(412));
            // The SDK aborts the refused upload after it has failed the call (the abort is not part of the
            // returned future), so on a loaded machine the abort can land a moment after the failure.
            Await.until("the SDK aborted the refused multipart upload", Duration.ofSeconds(30),
                    () -> S3.client().listMultipartUploads(b -> b.bucket(S3.bucket())).uploads().isEmpty());
        }
        assertThat(S3.read("small")).asString().isEqualTo("first");
        assertThat(S3.read("big")).isEqualTo(data);
    }
}
