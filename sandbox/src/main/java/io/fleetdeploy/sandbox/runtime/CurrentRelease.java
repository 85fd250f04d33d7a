package io.fleetdeploy.sandbox.runtime;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * The release an instance serves: {@code home/current/app.properties}. Every request asks, so the file
 * is parsed again only when the {@code current} link names another target (one readlink per request);
 * a {@code current} that is a plain directory is re-read when its app.properties changes.
 */
final class CurrentRelease {
    private record Cached(Object source, Release release) {
    }

    private final Path current;
    private volatile Cached cached;

    CurrentRelease(Path home) {
        this.current = home.resolve("current");
    }

    Optional<Release> get() {
        Object source = source();
        if (source == null) {
            return Optional.empty();
        }
        Cached known = cached;
        if (known != null && known.source().equals(source)) {
            return Optional.of(known.release());
        }
        Optional<Release> loaded = load();
        // A release that could not be read is not cached: the agent may still be writing it.
        loaded.ifPresent(release -> cached = new Cached(source, release));
        return loaded;
    }

    private Object source() {
        try {
            return Files.readSymbolicLink(current);
        } catch (NotLinkException plainDirectory) {
            try {
                return Files.getLastModifiedTime(current.resolve("app.properties"));
            } catch (IOException e) {
                return null;
            }
        } catch (NoSuchFileException | UnsupportedOperationException noRelease) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private Optional<Release> load() {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(current.resolve("app.properties"), StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
        String version = properties.getProperty("version", "").trim();
        if (version.isEmpty()) {
            return Optional.empty();
        }
        String schemaKey = properties.getProperty("schemaKey", "").trim();
        boolean healthy = !"false".equalsIgnoreCase(properties.getProperty("healthy", "true").trim());
        return Optional.of(new Release(version, schemaKey.isEmpty() ? Optional.empty() : Optional.of(schemaKey), healthy));
    }
}
