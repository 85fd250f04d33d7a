package io.fleetdeploy.core.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.fleet.InstanceStatus;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.fleetdeploy.core.testing.S3ProxyExtension;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;

/** Reading the agents' statuses through S3Proxy: one LIST per look, a GET only for what changed. */
class S3FleetRecordsTest {

    @RegisterExtension
    static final S3ProxyExtension S3 = new S3ProxyExtension();

    /** S3 operation name -> calls made since the last reset. */
    private final Map<String, Integer> calls = new ConcurrentHashMap<>();

    private final ExecutionInterceptor counting = new ExecutionInterceptor() {
        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            calls.merge(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), 1, Integer::sum);
        }
    };

    private void putStatus(S3Layout layout, String id, String version) throws Exception {
        InstanceStatus status = new InstanceStatus(id, "web", "shop", version, "abc", Instant.parse("2026-11-27T04:00:00Z"), "installed", null);
        S3.client().putObject(b -> b.bucket(layout.bucket()).key(layout.statusKey("web", id)),
                RequestBody.fromBytes(Json.mapper().writeValueAsBytes(status)));
    }

    @Test
    void aLookIsOneListPlusAGetOnlyForStatusesThatChanged() throws Exception {
        S3Layout layout = S3Layout.of(S3.bucket(), "deploys", "shop");
        for (String id : List.of("i-1", "i-2", "i-3", "i-4")) {
            putStatus(layout, id, "1.0");
        }
        try (S3Client s3 = AwsClients.configure(S3Client.builder(), S3.settings()).forcePathStyle(true)
                .overrideConfiguration(o -> o.addExecutionInterceptor(counting)).build();
             S3AsyncClient multipart = AwsClients.s3Multipart(S3.settings());
             Releases releases = new Releases(s3, multipart, layout, Clock.systemUTC(), ProgressListener.NONE)) {
            S3FleetRecords records = new S3FleetRecords(s3, releases, "test");

            Map<String, InstanceStatus> first = records.statuses("web", List.of("i-1", "i-2", "i-3"));
            assertThat(first).containsOnlyKeys("i-1", "i-2", "i-3");
            assertThat(calls).containsExactlyInAnyOrderEntriesOf(Map.of("ListObjectsV2", 1, "GetObject", 3));

            calls.clear();
            assertThat(records.statuses("web", List.of("i-1", "i-2", "i-3"))).isEqualTo(first);
            assertThat(calls).containsExactlyInAnyOrderEntriesOf(Map.of("ListObjectsV2", 1));

            putStatus(layout, "i-2", "2.0");
            calls.clear();
            Map<String, InstanceStatus> third = records.statuses("web", List.of("i-1", "i-2", "i-3"));
            assertThat(third.get("i-2").version()).isEqualTo("2.0");
            assertThat(third.get("i-1")).isEqualTo(first.get("i-1"));
            assertThat(calls).containsExactlyInAnyOrderEntriesOf(Map.of("ListObjectsV2", 1, "GetObject", 1));
        }
    }
}
