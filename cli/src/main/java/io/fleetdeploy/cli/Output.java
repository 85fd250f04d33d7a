package io.fleetdeploy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fleetdeploy.core.Json;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Results on stdout: JSON with --json, else short lines for people. */
final class Output {

    private final PrintWriter out;
    private final boolean json;

    Output(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    void json(Object value) {
        try {
            out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Results are plain records and always serialize", e);
        }
        out.flush();
    }

    void line(String text) {
        out.println(text);
        out.flush();
    }

    /** Who is acting, for pointers: the Jenkins build when there is one, else user@host. */
    static String whoAmI() {
        String buildUrl = System.getenv("BUILD_URL");
        if (buildUrl != null && !buildUrl.isBlank()) {
            return buildUrl;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        return System.getProperty("user.name", "unknown") + "@" + host;
    }
}
