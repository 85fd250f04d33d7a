package io.jenkins.plugins.fleetdeploy.harness;

import hudson.model.TaskListener;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * The build log. Like the Credentials Binding plugin, values bound by withCredentials are masked
 * as "****" line by line; nothing else is masked, so a test that finds no secret in the log shows
 * that the plugin never wrote it.
 */
public final class MaskingLog implements TaskListener {

    private static final long serialVersionUID = 1L;

    private final transient StringBuilder text = new StringBuilder();
    private final transient Set<String> masked = new CopyOnWriteArraySet<>();
    private final transient PrintStream stream = new PrintStream(new LineMasker(), true, StandardCharsets.UTF_8);

    @Override
    public PrintStream getLogger() {
        return stream;
    }

    public void mask(String secret) {
        if (secret != null && !secret.isEmpty()) {
            masked.add(secret);
        }
    }

    public String text() {
        stream.flush();
        synchronized (text) {
            return text.toString();
        }
    }

    private final class LineMasker extends OutputStream {
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            line.write(b);
            if (b == '\n') {
                flushLine();
            }
        }

        @Override
        public synchronized void flush() {
            if (line.size() > 0) {
                flushLine();
            }
        }

        private void flushLine() {
            String s = line.toString(StandardCharsets.UTF_8);
            line.reset();
            for (String secret : masked) {
                s = s.replace(secret, "****");
            }
            synchronized (text) {
                text.append(s);
            }
            if (Boolean.getBoolean("fleetdeploy.harness.echo")) {
                System.out.print(s);
            }
        }
    }
}
