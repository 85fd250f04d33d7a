package io.fleetdeploy.cli;

import io.fleetdeploy.core.ProgressListener;
import java.io.PrintWriter;

/** Progress lines go to stderr so that stdout stays clean for results (and --json). */
public final class CliProgress implements ProgressListener {

    private final PrintWriter err;

    public CliProgress(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void info(String line) {
        err.println(line);
        err.flush();
    }
}
