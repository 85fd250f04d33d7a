package io.fleetdeploy.core.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import org.junit.jupiter.api.Test;

class S3LayoutTest {

    @Test
    void keysFollowTheDocumentedLayout() {
        S3Layout layout = S3Layout.of("b", "/deploy/", "shop");
        assertThat(layout.bundleKey("1.0")).isEqualTo("deploy/shop/releases/1.0/bundle.tar.gz");
        assertThat(layout.manifestKey("1.0")).isEqualTo("deploy/shop/releases/1.0/manifest.json");
        assertThat(layout.channelKey("prod")).isEqualTo("deploy/shop/channels/prod.json");
        assertThat(layout.statusKey("web", "i-0abc")).isEqualTo("deploy/shop/status/web/i-0abc.json");
        assertThat(layout.leaseKey("web")).isEqualTo("deploy/shop/leases/web.json");
        assertThat(layout.operationKey("op-1")).isEqualTo("deploy/shop/operations/op-1.json");
    }

    @Test
    void worksWithoutPrefix() {
        assertThat(S3Layout.of("b", null, "shop").manifestKey("2")).isEqualTo("shop/releases/2/manifest.json");
    }

    @Test
    void refusesUnsafeAppAndMissingBucket() {
        assertThatThrownBy(() -> S3Layout.of("b", "", "../etc")).isInstanceOf(FleetDeployException.class);
        assertThatThrownBy(() -> S3Layout.of(" ", "", "shop")).isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("bucket");
    }

    @Test
    void refusesPrefixesThatAreNotPlainPathSegments() {
        assertThat(S3Layout.of("b", "teams/shop.v2/deploy", "shop").appRoot()).isEqualTo("teams/shop.v2/deploy/shop/");
        for (String bad : new String[] {"a//b", "../x", "a/../b", "a b", "x;rm", "a/$(id)"}) {
            assertThatThrownBy(() -> S3Layout.of("b", bad, "shop")).as(bad).isInstanceOf(FleetDeployException.class)
                    .hasMessageContaining("prefix");
        }
    }
}
