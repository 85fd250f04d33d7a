package io.fleetdeploy.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxConfigTest {

    @Test
    void aMinimalFileGetsAwsLikeDefaults() {
        SandboxConfig config = SandboxConfig.parse("""
                {"users": [{"name": "ci", "accessKeyId": "AKIATESTTESTTEST0001", "secretAccessKey": "secretsecretsecret01"}],
                 "targetGroups": [{"name": "web"}],
                 "groups": [{"name": "web", "app": "shop", "minSize": 1, "maxSize": 4, "healthCheckType": "ELB",
                             "targetGroups": ["web"]}]}
                """, "test");

        assertThat(config.region()).isEqualTo("us-east-1");
        assertThat(config.bucket()).isEqualTo("fleet-releases");
        SandboxConfig.Group group = config.group("web").orElseThrow();
        assertThat(group.desiredCapacity()).isEqualTo(1);
        assertThat(group.channel()).isEqualTo("production");
        assertThat(group.availabilityZones()).containsExactly("a", "b");
        assertThat(group.agentPollInterval()).as("no pull timer unless asked for").isZero();
        SandboxConfig.TargetGroup targetGroup = config.targetGroup("web").orElseThrow();
        assertThat(targetGroup.healthCheckPath()).isEqualTo("/health");
        assertThat(targetGroup.healthyThreshold()).isEqualTo(2);
        assertThat(targetGroup.deregistrationDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.faults()).isEqualTo(SandboxConfig.Faults.NONE);
    }

    @Test
    void everyMistakeIsListedWithItsPlaceAndNoSecretIsShown() {
        SandboxConfigException error = catchThrowableOfType(SandboxConfigException.class, () -> SandboxConfig.parse("""
                {"region": "moon-1",
                 "bootDelayMilis": 10,
                 "users": [{"name": "ci", "accessKeyId": "lower", "secretAccessKey": "short-secret"}],
                 "targetGroups": [{"name": "-bad-", "healthCheck": {"intervalMillis": 100, "timeoutMillis": 200,
                                   "healthyThreshold": 1}}],
                 "groups": [{"name": "web", "app": "shop", "minSize": 3, "maxSize": 2, "targetGroups": ["nope"],
                             "agentPollIntervalMillis": -1},
                            {"name": "web", "app": "../etc", "minSize": 1, "maxSize": 2, "desiredCapacity": 5,
                             "healthCheckType": "ELB"}],
                 "loadBalancers": [{"name": "lb", "listeners": [{"port": 80, "forward": [{"targetGroup": "missing"}]}]}],
                 "databases": [{"identifier": "1db", "dbName": "shop", "masterPassword": "pw"}],
                 "faults": {"throttleRate": 2}}
                """, "sandbox.json"));

        assertThat(error.mistakes()).contains(
                "region: 'moon-1' is not a region such as us-east-1",
                "users[0].accessKeyId: 'lower' is not 16-128 upper-case letters and digits",
                "users[0].secretAccessKey: the value is not 16-128 characters of A-Z a-z 0-9 / + =",
                "targetGroups[0].healthCheck.timeoutMillis: 200 must be less than intervalMillis 100",
                "targetGroups[0].healthCheck.healthyThreshold: 1 is outside 2..10",
                "groups[0].maxSize: 2 is below minSize 3",
                "groups[0].targetGroups[0]: no target group named 'nope' in targetGroups",
                "groups[0].agentPollIntervalMillis: -1 is outside 0..3600000",
                "groups[1].name: 'web' is used twice",
                "groups[1].desiredCapacity: 5 is outside minSize..maxSize (1..2)",
                "groups[1].healthCheckType: ELB needs at least one entry in targetGroups",
                "loadBalancers[0].listeners[0].forward[0].targetGroup: no target group named 'missing' in targetGroups",
                "databases[0].masterPassword: the value is not 8-128 printable characters except / @ \"",
                "faults.throttleRate: must be a number from 0 to 1");
        assertThat(error.mistakes()).anyMatch(m -> m.startsWith("bootDelayMilis: unknown field"));
        assertThat(error.mistakes()).anyMatch(m -> m.startsWith("targetGroups[0].name: '-bad-' is not"));
        assertThat(error.mistakes()).anyMatch(m -> m.startsWith("groups[1].app: '../etc' is not"));
        assertThat(error.mistakes()).anyMatch(m -> m.startsWith("databases[0].identifier: '1db' is not"));
        assertThat(error.getMessage()).startsWith("The sandbox configuration sandbox.json has " + error.mistakes().size()
                + " mistakes; nothing was started:")
                .doesNotContain("short-secret").doesNotContain("\"pw\"").endsWith("Fix the file and start the sandbox again.");
    }

    @Test
    void brokenJsonSaysWhere() {
        assertThatThrownBy(() -> SandboxConfig.parse("{\n  \"region\": \"us-east-1\",\n  oops\n}", "f.json"))
                .isInstanceOf(SandboxConfigException.class)
                .hasMessageContaining("line 3, column");
    }

    @Test
    void aMissingFileOrAgentIsAMistakeToo(@TempDir Path dir) {
        assertThatThrownBy(() -> SandboxConfig.load(dir.resolve("absent.json")))
                .isInstanceOf(SandboxConfigException.class).hasMessageContaining("the file cannot be read");
        Path file = dir.resolve("s.json");
        assertThatThrownBy(() -> {
            Files.writeString(file, "{\"users\": [], \"agentScript\": \"" + dir.resolve("none.sh") + "\"}");
            SandboxConfig.load(file);
        }).isInstanceOf(SandboxConfigException.class)
                .hasMessageContaining("users: needs at least one entry")
                .hasMessageContaining("agentScript: no file");
    }

    @Test
    void theBuiltInDefaultIsOneAppBehindOneListenerWithOneDatabase() {
        SandboxConfig config = SandboxConfig.defaults();
        assertThat(config.groups()).singleElement().satisfies(g -> {
            assertThat(g.app()).isEqualTo("shop");
            assertThat(g.desiredCapacity()).isEqualTo(3);
        });
        assertThat(config.loadBalancers()).singleElement()
                .satisfies(lb -> assertThat(lb.listeners()).singleElement()
                        .satisfies(l -> assertThat(l.forwards()).extracting(SandboxConfig.Forward::targetGroup)
                                .containsExactly("shop-web")));
        assertThat(config.databases()).singleElement().satisfies(d -> assertThat(d.toString()).doesNotContain("password"));
    }
}
