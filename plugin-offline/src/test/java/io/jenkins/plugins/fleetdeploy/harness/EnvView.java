package io.jenkins.plugins.fleetdeploy.harness;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;

/** The Jenkinsfile's {@code env}: reads the effective environment, writes go to the build (env.X = 'y'). */
final class EnvView extends AbstractMap<String, String> {

    private final Build build;

    EnvView(Build build) {
        this.build = build;
    }

    @Override
    public Set<Map.Entry<String, String>> entrySet() {
        return build.environment(build.scope()).entrySet();
    }

    @Override
    public String get(Object key) {
        return build.environment(build.scope()).get(key);
    }

    @Override
    public String put(String key, String value) {
        return build.baseEnv().put(key, value);
    }
}
