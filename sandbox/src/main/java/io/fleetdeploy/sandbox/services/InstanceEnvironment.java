package io.fleetdeploy.sandbox.services;

import java.nio.file.Path;
import java.util.Map;

/**
 * What every instance's user data and SSM commands get in their environment, as an instance
 * profile and user data would give them: where the releases are (FLEET_BUCKET, FLEET_PREFIX,
 * FLEET_S3_ENDPOINT), the AWS CLI (FLEET_AWS; the agent signs with curl when it can and falls back
 * to it), credentials and region, and the agent script.
 */
public record InstanceEnvironment(Map<String, String> variables, Path agentScript) {

    public InstanceEnvironment {
        variables = Map.copyOf(variables);
    }

    @Override
    public String toString() {
        return "InstanceEnvironment[variables=" + variables.keySet() + ", agentScript=" + agentScript + "]";
    }
}
