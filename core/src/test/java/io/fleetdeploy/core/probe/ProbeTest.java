package io.fleetdeploy.core.probe;

import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.*;

class ProbeTest {
    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    void p(String s) { System.out.println("PROBE " + s); }

    void attempt(String name, Runnable r) {
        try { r.run(); p(name + ": OK"); } catch (Throwable t) { p(name + ": " + t); }
    }

    @Test
    void probe(@TempDir Path dir) throws Exception {
        var c = S3.client();
        String b = S3.bucket();
        Path big = dir.resolve("big");
        byte[] data = new byte[20 * 1024 * 1024];
        new Random(2).nextBytes(data);
        Files.write(big, data);
        software.amazon.awssdk.core.interceptor.ExecutionInterceptor log = new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
            @Override public void beforeTransmission(software.amazon.awssdk.core.interceptor.Context.BeforeTransmission ctx, software.amazon.awssdk.core.interceptor.ExecutionAttributes ea) {
                p("REQ " + ctx.httpRequest().method() + " " + ctx.httpRequest().getUri() + " " + ctx.httpRequest().headers().keySet());
            }
        };
        for (var calc : List.of(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_SUPPORTED, software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)) {
        try (S3AsyncClient a = S3AsyncClient.builder().region(S3.region()).endpointOverride(S3.endpoint())
                .credentialsProvider(S3.settings().credentials()).forcePathStyle(true).multipartEnabled(true)
                .requestChecksumCalculation(calc)
                .overrideConfiguration(o -> o.addExecutionInterceptor(log))
                .multipartConfiguration(m -> m.minimumPartSizeInBytes(5L * 1024 * 1024).thresholdInBytes(6L * 1024 * 1024)).build()) {
            p("==== " + calc);
            attempt("sdk multipart new no cond", () -> p("" + a.putObject(x -> x.bucket(b).key("big0" + calc), AsyncRequestBody.fromFile(big)).join()));
            attempt("sdk multipart new", () -> p("" + a.putObject(x -> x.bucket(b).key("big" + calc).ifNoneMatch("*"), AsyncRequestBody.fromFile(big)).join()));
            attempt("sdk multipart existing", () -> p("" + a.putObject(x -> x.bucket(b).key("big" + calc).ifNoneMatch("*"), AsyncRequestBody.fromFile(big)).join()));
            attempt("list uploads", () -> p("" + c.listMultipartUploads(x -> x.bucket(b)).uploads().size()));
        }
        }
        c.putObject(x -> x.bucket(b).key("k"), RequestBody.fromString("one"));
        try (var bad = AwsClients.s3(S3.settings().withCredentials(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("wrong", "wrong"))))) {
            attempt("bad creds get", () -> { try { bad.getObject(x -> x.bucket(b).key("k")); } catch (S3Exception e) { p(e.awsErrorDetails().errorCode() + " " + e.awsErrorDetails().errorMessage()); throw e; } });
            attempt("bad creds nobucket", () -> { try { bad.getObject(x -> x.bucket("nobucket").key("k")); } catch (S3Exception e) { p(e.awsErrorDetails().errorCode() + " " + e.awsErrorDetails().errorMessage()); throw e; } });
        }
        try (var bad = AwsClients.s3(S3.settings().withCredentials(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(S3.accessKey(), "wrong"))))) {
            attempt("bad secret get", () -> { try { bad.getObject(x -> x.bucket(b).key("k")); } catch (S3Exception e) { p(e.awsErrorDetails().errorCode()); throw e; } });
        }
    }
}
