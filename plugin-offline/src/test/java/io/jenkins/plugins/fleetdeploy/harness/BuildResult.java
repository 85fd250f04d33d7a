package io.jenkins.plugins.fleetdeploy.harness;

/**
 * How a Jenkinsfile run ended.
 *
 * @param result  SUCCESS, FAILURE or ABORTED, as Jenkins names them
 * @param failure what failed the build, or null
 */
public record BuildResult(String result, String log, Throwable failure, TestRun run) {

    public boolean succeeded() {
        return "SUCCESS".equals(result);
    }
}
