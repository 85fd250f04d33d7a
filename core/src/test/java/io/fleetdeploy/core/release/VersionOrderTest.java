package io.fleetdeploy.core.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionOrderTest {

    @Test
    void digitRunsCompareAsNumbers() {
        List<String> versions = new ArrayList<>(List.of("1.10", "1.9", "1.9.1", "2", "1.0-rc1", "1.0", "10", "1.2.3-b"));
        versions.sort(VersionOrder.NATURAL);
        assertThat(versions).containsExactly("1.0", "1.0-rc1", "1.2.3-b", "1.9", "1.9.1", "1.10", "2", "10");
    }
}
