package io.fleetdeploy.sandbox.aws;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.regions.Region;

/** An endpoint on loopback with one test user, SDK clients pointed at it, and raw signed requests. */
final class EndpointFixture implements AutoCloseable {

    static final String ACCOUNT = "123456789012";
    static final String ACCESS_KEY = "AKIASANDBOXTEST0001";
    static final String SECRET_KEY = "sandbox/secret/key/for+tests0000000000000";
    static final Region REGION = Region.EU_WEST_1;

    final MutableClock clock = new MutableClock(Instant.now());
    final Users users = new Users(clock);
    final Faults faults = new Faults(new SplittableRandom(42));
    final CallCounters counters = new CallCounters();
    final Credential user;
    final AwsEndpoint endpoint;
    private final HttpClient http = HttpClient.newHttpClient();

    EndpointFixture(List<AwsService> services) throws IOException {
        this(users -> services);
    }

    /** For services that need the fixture's users (STS). */
    EndpointFixture(Function<Users, List<AwsService>> services) throws IOException {
        user = users.addUser(ACCOUNT, "deployer", ACCESS_KEY, SECRET_KEY);
        endpoint = AwsEndpoint.start(services.apply(users), users, faults, counters);
    }

    /** Points an SDK client builder at the endpoint with the test user's keys and the standard retry mode. */
    <B extends AwsClientBuilder<B, C>, C> C client(B builder) {
        return client(builder, AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    <B extends AwsClientBuilder<B, C>, C> C client(B builder, AwsCredentials credentials) {
        return builder.endpointOverride(endpoint.endpoint())
                .region(REGION)
                .credentialsProvider(StaticCredentialsProvider.create(credentials))
                .overrideConfiguration(ClientOverrideConfiguration.builder().retryStrategy(RetryMode.STANDARD).build())
                .build();
    }

    static AwsCredentials credentialsOf(Credential credential) {
        return credential.sessionToken()
                .<AwsCredentials>map(token -> AwsSessionCredentials.create(credential.accessKeyId(), credential.secretAccessKey(), token))
                .orElseGet(() -> AwsBasicCredentials.create(credential.accessKeyId(), credential.secretAccessKey()));
    }

    /** Sends a body signed for the service with the given keys, e.g. a form no SDK would write. */
    HttpResponse<String> signedPost(String service, String contentType, String body, Map<String, String> headers,
                                    String accessKey, String secretKey) throws IOException, InterruptedException {
        SdkHttpRequest.Builder unsigned = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(endpoint.endpoint().resolve("/"))
                .putHeader("Content-Type", contentType);
        headers.forEach(unsigned::putHeader);
        return send(sign(unsigned.build(), body, service, accessKey, secretKey, r -> { }), body);
    }

    /** Signs a request with the SDK's own SigV4 signer; {@code options} may presign or move the signing clock. */
    SdkHttpRequest sign(SdkHttpRequest unsigned, String body, String service, String accessKey, String secretKey,
                        Consumer<SignRequest.Builder<AwsCredentialsIdentity>> options) {
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> {
            r.identity(AwsCredentialsIdentity.create(accessKey, secretKey))
                    .request(unsigned)
                    .payload(ContentStreamProvider.fromUtf8String(body))
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                    .putProperty(AwsV4HttpSigner.REGION_NAME, REGION.id());
            options.accept(r);
        });
        return signed.request();
    }

    /** Sends a (signed) request with the given body, which may differ from the one signed. */
    HttpResponse<String> send(SdkHttpRequest signed, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(signed.getUri())
                .method(signed.method().name(), body.isEmpty() ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .timeout(Duration.ofSeconds(20));
        signed.headers().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host") && !name.equalsIgnoreCase("content-length")) {
                values.forEach(value -> request.header(name, value));
            }
        });
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> signedPost(String service, String contentType, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        return signedPost(service, contentType, body, headers, ACCESS_KEY, SECRET_KEY);
    }

    @Override
    public void close() {
        endpoint.close();
    }

    /** A clock tests move forward, to expire temporary credentials without waiting. */
    static final class MutableClock extends Clock {
        private final AtomicReference<Instant> now;

        MutableClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        void advance(Duration duration) {
            now.updateAndGet(t -> t.plus(duration));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
