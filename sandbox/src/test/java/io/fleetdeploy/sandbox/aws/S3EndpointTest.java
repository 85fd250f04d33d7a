package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The sandbox's S3 (S3Proxy) accepts the same users as the AWS endpoint, temporary credentials included. */
class S3EndpointTest {

    @Test
    void usersAndAssumedRolesShareOneStoreAndExpiredOrUnknownKeysAreRefused(@TempDir Path directory) throws Exception {
        EndpointFixture.MutableClock clock = new EndpointFixture.MutableClock(java.time.Instant.now());
        Users users = new Users(clock);
        Credential owner = users.addUser(EndpointFixture.ACCOUNT, "deployer", EndpointFixture.ACCESS_KEY, EndpointFixture.SECRET_KEY);
        Credential role = users.issueTemporary("210987654321", "arn:aws:sts::210987654321:assumed-role/R/s", "AROAX:s",
                Duration.ofMinutes(15));

        try (S3Endpoint s3 = S3Endpoint.start(users, directory);
             S3Client asOwner = client(s3, EndpointFixture.credentialsOf(owner));
             S3Client asRole = client(s3, EndpointFixture.credentialsOf(role));
             S3Client stranger = client(s3, AwsBasicCredentials.create("AKIAUNKNOWN000000000", "whatever-secret"))) {
            asOwner.createBucket(r -> r.bucket("releases"));
            asRole.putObject(r -> r.bucket("releases").key("shop/1.0.0/bundle.tgz"), RequestBody.fromString("bundle"));

            assertThat(asOwner.getObjectAsBytes(r -> r.bucket("releases").key("shop/1.0.0/bundle.tgz")).asUtf8String())
                    .isEqualTo("bundle");
            assertThat(Files.walk(directory).anyMatch(p -> p.endsWith("bundle.tgz"))).isTrue();
            assertThatThrownBy(() -> stranger.listObjectsV2(r -> r.bucket("releases")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));

            clock.advance(Duration.ofMinutes(16));
            assertThatThrownBy(() -> asRole.listObjectsV2(r -> r.bucket("releases")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        }
    }

    @Test
    void inMemoryStoreNeedsAUserToStart() {
        assertThatThrownBy(() -> S3Endpoint.start(new Users(java.time.Clock.systemUTC())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one configured user");
    }

    private static S3Client client(S3Endpoint s3, AwsCredentials credentials) {
        return S3Client.builder().endpointOverride(s3.endpoint()).region(EndpointFixture.REGION).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(credentials)).build();
    }

}
