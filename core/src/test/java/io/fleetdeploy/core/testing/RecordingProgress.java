package io.fleetdeploy.core.testing;

import io.fleetdeploy.core.ProgressListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every progress line, so tests can check what a user would have read. */
public final class RecordingProgress implements ProgressListener {

    private final List<String> lines = new CopyOnWriteArrayList<>();

    @Override
    public void info(String line) {
        lines.add(line);
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    public String text() {
        return String.join("\n", lines);
    }
}
