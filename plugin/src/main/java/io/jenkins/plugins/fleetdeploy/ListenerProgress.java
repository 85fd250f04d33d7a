package io.jenkins.plugins.fleetdeploy;

import hudson.model.TaskListener;
import io.fleetdeploy.core.ProgressListener;

/** The engine's progress lines, written to the build log. */
public final class ListenerProgress implements ProgressListener {

    private final TaskListener listener;

    public ListenerProgress(TaskListener listener) {
        this.listener = listener;
    }

    @Override
    public void info(String line) {
        listener.getLogger().println("[fleet-deploy] " + line);
    }

    @Override
    public void warn(String line) {
        listener.getLogger().println("[fleet-deploy] WARNING: " + line);
    }
}
