package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.jenkins.plugins.fleetdeploy.FleetOperationRecord;
import io.jenkins.plugins.fleetdeploy.FleetSummaryAction;
import io.jenkins.plugins.fleetdeploy.harness.BuildResult;
import io.jenkins.plugins.fleetdeploy.harness.PipelineHarness;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The long steps refuse arguments that are wrong on their face in start(), before any client is
 * built or any lease taken, and the summary shows the refusal.
 */
class FleetOperationStepsInputTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "drainGroup group: 'shop-web', percent: 150 | percent 150 is outside 1..100.",
        "drainGroup group: 'shop-web', count: 2, percent: 50 | More than one of count, percent and instanceIds was given.",
        "drainGroup group: 'shop-web', mode: 'unplug' | mode 'unplug' is not known.",
        "rolloutGroup group: 'shop-web', version: '1.0.0', strategy: 'sideways' | strategy 'sideways' is not known.",
        "rolloutGroup group: 'shop-web', version: '1.0.0', batchPercent: 0 | batchPercent 0 is outside 1..100.",
        "rolloutGroup group: 'shop web', version: '1.0.0' | The group 'shop web' is not allowed",
        "rolloutGroup group: 'shop-web', version: '1.0.0', onFailure: 'panic' | onFailure 'panic' is not known.",
        "switchTraffic listenerArn: 'shop-listener', targetGroup: 'shop-green' | 'shop-listener' is not a listener or rule ARN.",
        "switchTraffic listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/shop/1/2', targetGroup: 'shop-green', steps: [50, 20] | are not ascending percentages",
    })
    void isRefusedBeforeAnythingIsContacted(String call, String message) throws Exception {
        PipelineHarness jenkins = new PipelineHarness(dir);

        BuildResult build = jenkins.run("withFleet(app: 'shop', bucket: 'releases', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9') {\n  "
                + call + "\n}\n");

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: ").contains(message).contains("Nothing was changed.");
        assertThat(build.run().getAction(FleetSummaryAction.class).getOperations())
                .extracting(FleetOperationRecord::getOutcome).containsExactly("FAILED");
    }

    @Test
    void aMissingGroupIsNamed() throws Exception {
        BuildResult build = new PipelineHarness(dir).run("withFleet(app: 'shop', bucket: 'releases', region: 'eu-west-1') {\n"
                + "  rolloutGroup version: '1.0.0'\n}\n");

        assertThat(build.result()).isEqualTo("FAILURE");
        assertThat(build.log()).contains("ERROR: The group is missing.");
    }
}
