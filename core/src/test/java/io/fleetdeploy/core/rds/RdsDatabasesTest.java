package io.fleetdeploy.core.rds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.ProgressListener;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The RDS adapter's input rules, checked before any call. The calls themselves (describe, IAM
 * token, snapshot) are tested against the sandbox's RDS.
 */
class RdsDatabasesTest {

    @Test
    void instanceIdentifiersFollowRdssRule() {
        assertThat(RdsDatabases.isInstanceIdentifier("shop-db")).isTrue();
        assertThat(RdsDatabases.isInstanceIdentifier("a")).isTrue();
        assertThat(RdsDatabases.isInstanceIdentifier("A1-b2-c3")).isTrue();
        assertThat(RdsDatabases.isInstanceIdentifier("a".repeat(63))).isTrue();
        assertThat(RdsDatabases.isInstanceIdentifier("a".repeat(64))).isFalse();
        assertThat(RdsDatabases.isInstanceIdentifier("1db")).isFalse();
        assertThat(RdsDatabases.isInstanceIdentifier("shop--db")).isFalse();
        assertThat(RdsDatabases.isInstanceIdentifier("shop-")).isFalse();
        assertThat(RdsDatabases.isInstanceIdentifier("shop_db")).isFalse();
        assertThat(RdsDatabases.isInstanceIdentifier("")).isFalse();
        assertThat(RdsDatabases.isInstanceIdentifier(null)).isFalse();
    }

    @Test
    void snapshotNamesCarryAppVersionAndTimeWithinRdssRule() {
        String name = RdsDatabases.snapshotName("shop", "2.4.0_rc.1", Instant.parse("2026-11-26T14:05:09.123Z"));

        assertThat(name).isEqualTo("fleet-shop-2-4-0-rc-1-20261126-140509-123");
        assertThat(RdsDatabases.snapshotName("shop", null, Instant.EPOCH)).startsWith("fleet-shop-unversioned-");
        String longName = RdsDatabases.snapshotName("a".repeat(128), "v".repeat(128), Instant.EPOCH);
        assertThat(longName).hasSizeLessThanOrEqualTo(255).endsWith("-19700101-000000-000").doesNotContain("--");
    }

    @Test
    void aBadIdentifierIsRefusedBeforeTheClientIsEvenMade() {
        RdsDatabases rds = new RdsDatabases(() -> {
            throw new AssertionError("no client may be made for invalid input");
        });

        assertThatThrownBy(() -> rds.describe("bad id"))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("'bad id' is not valid");
        assertThatThrownBy(() -> rds.snapshot("-x", "fleet-shop-1", Duration.ofMinutes(1), Duration.ofSeconds(1), ProgressListener.NONE))
                .isInstanceOf(FleetDeployException.class)
                .hasMessageContaining("'-x' is not valid");
    }
}
