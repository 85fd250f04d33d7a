package io.fleetdeploy.cli.demo;

import java.util.List;

/**
 * The three compositions of examples/*.Jenkinsfile, each on its own app, groups and listener so that
 * {@code all} runs them one after the other in one sandbox.
 *
 * @param app      the application (its own schema key and migrations history)
 * @param serving  the group that serves v1 behind the listener
 * @param idle     blue/green: the group that starts empty and receives v2; null otherwise
 */
public enum Strategy {
    PUSH("push", "push", "push-web", null),
    PULL("pull", "pull", "pull-workers", null),
    BLUE_GREEN("blue-green", "bluegreen", "bg-blue", "bg-green");

    private final String label;
    private final String app;
    private final String serving;
    private final String idle;

    Strategy(String label, String app, String serving, String idle) {
        this.label = label;
        this.app = app;
        this.serving = serving;
        this.idle = idle;
    }

    public String label() {
        return label;
    }

    public String app() {
        return app;
    }

    public String serving() {
        return serving;
    }

    public String idle() {
        return idle;
    }

    public List<String> groups() {
        return idle == null ? List.of(serving) : List.of(serving, idle);
    }

    /** The load balancer (and listener "name:80") in front of the serving group. */
    public String loadBalancer() {
        return app;
    }

    /** Pull workers follow the channel and do not check the key (see Scenario). */
    public boolean codeChecksKey() {
        return this != PULL;
    }

    public static List<Strategy> parse(String value) {
        return switch (value) {
            case "push" -> List.of(PUSH);
            case "pull" -> List.of(PULL);
            case "blue-green" -> List.of(BLUE_GREEN);
            case "all" -> List.of(PUSH, PULL, BLUE_GREEN);
            default -> throw new IllegalArgumentException("--strategy " + value + " is not one of push, pull, blue-green, all");
        };
    }
}
