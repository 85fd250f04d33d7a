package io.fleetdeploy.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetdeploy.cli.FleetDeployCli;
import io.fleetdeploy.cli.SandboxCommand;
import io.fleetdeploy.core.ProgressListener;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small demo of each strategy, each in its own sandbox (2 to 4 instances, 20 requests/s): the real agent, listener,
 * PostgreSQL and the same core calls as the Jenkins steps. Asserts the outcomes the demo promises.
 */
class DemoRunTest {

    /** push keeps 75 % serving in batches of 25 %: it needs 4; the others run on 2 to keep the test short. */
    private static final int INSTANCES = 4;
    private static final int SMALL = 2;
    private static final int RPS = 20;
    private static Path agent;

    @BeforeAll
    static void extractAgent() {
        agent = SandboxCommand.extractShippedAgent();
    }

    @AfterAll
    static void deleteAgent() throws Exception {
        Files.deleteIfExists(agent);
    }

    private static ScenarioResult run(Strategy strategy, int instances) {
        return run(strategy, null, instances);
    }

    private static ScenarioResult run(Strategy strategy, Fault fault, int instances) {
        ScenarioResult result;
        try (DemoCloud cloud = DemoCloud.start(strategy, instances, agent)) {
            result = new Scenario(cloud, strategy, fault, instances, RPS, Duration.ofMinutes(5), ProgressListener.NONE).run();
        }
        // The figures in the test log, for whoever looks at a run.
        StringWriter report = new StringWriter();
        TextReport.print(new PrintWriter(report), List.of(result));
        System.out.println(report);
        return result;
    }

    /**
     * Push and blue/green: no request failed and none was served by code whose schema key the database did
     * not have while the request was open (each node's work holds the key row FOR SHARE; a flip waits for it).
     */
    private static void assertNoErrorsAndNoSkew(ScenarioResult result) {
        Figures figures = result.figures();
        assertThat(figures.requests()).isGreaterThan(RPS * 5L);
        assertThat(figures.non2xx()).as("non-2xx responses: %s", result.samples().stream().filter(s -> !s.ok()).limit(5).toList()).isZero();
        assertThat(figures.skewed()).as("skewed responses").isZero();
    }

    @Test
    void blueGreenDeploysUnderLoadWithoutErrorsOrSkew() {
        ScenarioResult result = run(Strategy.BLUE_GREEN, SMALL);

        assertThat(result.phases()).extracting(Phase::name).containsExactly("publish 2.0", "green: replace", "migrate",
                "flip k1->k2", "switch traffic", "retire blue");
        assertThat(result.deployed()).as("every step succeeded: %s", result.phases()).isTrue();
        assertNoErrorsAndNoSkew(result);
        assertThat(result.samples()).extracting(Sample::appVersion).contains("1.0", "2.0");
        assertThat(result.finalState().checks()).allSatisfy(check -> assertThat(check.ok()).as(check.toString()).isTrue());
        assertThat(result.apiCalls()).containsKeys("elasticloadbalancing.ModifyListener", "autoscaling.UpdateAutoScalingGroup");
    }

    @Test
    void pushFollowsTheExampleAndNeverServesSkewedResponses() {
        ScenarioResult result = run(Strategy.PUSH, INSTANCES);

        assertThat(result.phases()).extracting(Phase::name).containsExactly("publish 2.0", "canary", "migrate", "flip k1->k2",
                "roll out the rest");
        assertThat(result.deployed()).as("every step succeeded: %s", result.phases()).isTrue();
        // The canary runs k2 code before the flip and forwards; after it the k1 nodes forward: nobody refuses.
        assertNoErrorsAndNoSkew(result);
        assertThat(result.samples()).filteredOn(Sample::ok).extracting(Sample::appVersion).contains("1.0", "2.0");
        assertThat(result.finalState().ok()).as("%s", result.finalState()).isTrue();
    }

    /**
     * A 2.0 that fails its health check: the canary's batch fails as soon as its target group reports it unhealthy
     * (well before the demo's 5-minute step timeout), the undo puts it back on 1.0, the pipeline stops there,
     * the other instances keep serving, and the group keeps its instances (the rolled-back canary is not replaced).
     */
    @Test
    void pushOfABadReleaseRollsBackTheCanaryWithoutErrorsAndLeavesNothingBehind() {
        ScenarioResult result = run(Strategy.PUSH, Fault.BAD_RELEASE, INSTANCES);

        assertThat(result.phases()).extracting(Phase::name).containsExactly("publish 2.0", "canary");
        Phase canary = result.phases().get(1);
        assertThat(canary.outcome()).isEqualTo("ROLLED_BACK");
        assertThat(canary.detail()).contains("unhealthy on 2.0 in 2 consecutive target health checks after the install")
                .doesNotContain("within");
        assertThat(result.figures().non2xx()).as("non-2xx responses: %s", result.samples().stream().filter(s -> !s.ok()).limit(5).toList())
                .isZero();
        assertThat(result.samples()).filteredOn(Sample::ok).extracting(Sample::appVersion).containsOnly("1.0");
        assertThat(result.finalState().ok()).as("%s", result.finalState()).isTrue();
    }

    @Test
    void pullConvergesWithoutErrorsAndReportsItsSkewWindow() {
        ScenarioResult result = run(Strategy.PULL, SMALL);
        Figures figures = result.figures();

        assertThat(result.deployed()).as("every step succeeded: %s", result.phases()).isTrue();
        assertThat(figures.non2xx()).isZero();
        // The key flips before the workers converge (examples/pull.Jenkinsfile): old code serves on k2 until they do.
        assertThat(figures.skewed()).isPositive();
        assertThat(figures.skewFirstMillis()).isGreaterThanOrEqualTo(result.flips().get(0).beforeMillis());
        assertThat(result.finalState().ok()).as("%s", result.finalState()).isTrue();

        String html = HtmlReport.render(List.of(result));
        assertThat(html).startsWith("<!doctype html>").contains("<svg", "key k1&#8594;k2", "converge (pull)")
                .doesNotContain("src=", "<link", "<script", "url(");
    }

    /**
     * A 2.0 that fails its health check, pulled: the example has flipped the key before the workers converge, the pull
     * fails fast on the unhealthy workers and moves the channel back, and the pipeline flips the key back to k1 before it
     * stops. Pull keeps no capacity back, so requests may fail while every worker is unhealthy: the report counts them.
     */
    @Test
    void pullOfABadReleaseRollsBackAndGivesTheKeyBackToTheOldCode() {
        ScenarioResult result = run(Strategy.PULL, Fault.BAD_RELEASE, SMALL);

        assertThat(result.phases()).extracting(Phase::name).containsExactly("publish 2.0", "migrate", "flip k1->k2",
                "converge (pull)", "flip k2->k1");
        assertThat(result.phases()).extracting(Phase::outcome).containsExactly("SUCCEEDED", "SUCCEEDED", "SUCCEEDED",
                "ROLLED_BACK", "SUCCEEDED");
        assertThat(result.deployed()).isFalse();
        assertThat(result.flips()).extracting(KeyFlip::to).containsExactly("k2", "k1");
        // The final state includes: the database's key (k1) is the key of the code every InService worker runs (1.0).
        assertThat(result.finalState().checks()).filteredOn(check -> check.what().startsWith("schema key"))
                .singleElement().satisfies(check -> {
                    assertThat(check.what()).isEqualTo("schema key k1 is the serving code's");
                    assertThat(check.detail()).isEqualTo(SMALL + " on 1.0 (key k1)");
                });
        assertThat(result.finalState().ok()).as("%s", result.finalState()).isTrue();
        // Old code served under k2 only until the flip back returned: nothing sent after it is skewed.
        long flippedBack = result.flips().get(1).afterMillis();
        assertThat(result.samples()).filteredOn(sample -> sample.sentMillis() >= flippedBack).isNotEmpty()
                .noneMatch(sample -> sample.ok() && Figures.isSkewed(sample, result.initialKey(), result.flips(), result.keyOfVersion()));
        // The report says what happened, failed requests included.
        long failed = result.samples().stream().filter(sample -> !sample.ok()).count();
        StringWriter report = new StringWriter();
        TextReport.print(new PrintWriter(report), List.of(result));
        assertThat(report.toString()).contains("stopped and rolled back", "non-2xx " + failed + ",", "final state: OK");
    }

    @Test
    void refusesBadOptionsBeforeStartingAnything(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        int code = FleetDeployCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "demo", "--strategy", "canary");
        assertThat(code).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(err.toString()).contains("--strategy canary is not one of push, pull, blue-green, all", "Nothing was started");

        err = new StringWriter();
        code = FleetDeployCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "demo", "--rps", "0",
                "--report", dir.resolve("missing/report.html").toString());
        assertThat(code).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(err.toString()).contains("--rps 0 is outside 1..1000");

        err = new StringWriter();
        code = FleetDeployCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "demo", "--strategy", "push", "--instances", "3");
        assertThat(code).isEqualTo(FleetDeployCli.EXIT_FAILED);
        assertThat(err.toString()).contains("--instances 3 is too few for the push demo", "75 % of the group keeps serving",
                "give --instances 4 or more");
    }
}
