package io.fleetdeploy.sandbox.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A fleet of real instances on loopback: each has a directory under {@code root} and an HTTP server on its
 * own port (see {@link RunningInstance}). All servers share one {@link RuntimeIo}, so 200 instances cost
 * sockets and a few kilobytes each, not threads.
 */
public final class InstanceRuntime implements AutoCloseable, PeerDirectory {
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path root;
    private final SchemaKeySource dbKeys;
    private final RuntimeIo io;
    private final boolean ownsIo;
    private final Map<String, LoopbackInstance> instances = new ConcurrentHashMap<>();
    private final AtomicInteger peerTurn = new AtomicInteger();

    /** A runtime with its own {@link RuntimeIo}, closed with it. */
    public InstanceRuntime(Path root, SchemaKeySource dbKeys) {
        this(root, dbKeys, RuntimeIo.create(), true);
    }

    /** A runtime on a shared {@link RuntimeIo}, which the caller closes. */
    public InstanceRuntime(Path root, SchemaKeySource dbKeys, RuntimeIo io) {
        this(root, dbKeys, io, false);
    }

    private InstanceRuntime(Path root, SchemaKeySource dbKeys, RuntimeIo io, boolean ownsIo) {
        this.root = Objects.requireNonNull(root, "root");
        this.dbKeys = Objects.requireNonNull(dbKeys, "dbKeys");
        this.io = Objects.requireNonNull(io, "io");
        this.ownsIo = ownsIo;
    }

    public RuntimeIo io() {
        return io;
    }

    /** Creates {@code root/<instanceId>} (kept if it exists) and starts the instance's server; no release yet. */
    public RunningInstance launch(String instanceId, String app, Map<String, String> env) {
        requireSafe("instance id", instanceId);
        requireSafe("app", app);
        Objects.requireNonNull(env, "env");
        Path home = root.resolve(instanceId);
        LoopbackInstance instance = new LoopbackInstance(instanceId, app, home, env);
        if (instances.putIfAbsent(instanceId, instance) != null) {
            throw new IllegalStateException("instance " + instanceId + " is already running; terminate it first");
        }
        boolean newHome = !Files.isDirectory(home);
        try {
            Files.createDirectories(home);
            OpenConnections connections = new OpenConnections(io.eventLoop().next());
            instance.started(io.bindHttp(() -> new InstanceHttpHandler(instance, dbKeys, this, io), connections),
                    connections);
            return instance;
        } catch (IOException e) {
            instances.remove(instanceId, instance);
            throw new UncheckedIOException("could not create the directory " + home + " of instance " + instanceId, e);
        } catch (RuntimeException e) {
            instances.remove(instanceId, instance);
            if (newHome) {
                Directories.deleteTree(home);
            }
            throw e;
        }
    }

    public Optional<RunningInstance> find(String instanceId) {
        return Optional.ofNullable(instances.get(instanceId));
    }

    /** Stops the instance's server and cuts its connections; its directory is kept for inspection. Unknown ids are ignored. */
    public void terminate(String instanceId) {
        LoopbackInstance instance = instances.remove(instanceId);
        if (instance != null) {
            instance.stop();
        }
    }

    /** The running instances, by id. */
    public List<RunningInstance> instances() {
        List<RunningInstance> all = new ArrayList<>(instances.values());
        all.sort(Comparator.comparing(RunningInstance::id));
        return all;
    }

    @Override
    public Optional<LoopbackInstance> servingPeer(String app, String schemaKey, String excludedId) {
        List<LoopbackInstance> matching = new ArrayList<>();
        for (LoopbackInstance candidate : instances.values()) {
            if (!candidate.id().equals(excludedId) && candidate.app().equals(app) && candidate.serving()
                    && candidate.release().flatMap(Release::schemaKey).filter(schemaKey::equals).isPresent()) {
                matching.add(candidate);
            }
        }
        if (matching.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(matching.get(Math.floorMod(peerTurn.getAndIncrement(), matching.size())));
    }

    @Override
    public void close() {
        for (String id : List.copyOf(instances.keySet())) {
            terminate(id);
        }
        if (ownsIo) {
            io.close();
        }
    }

    private static void requireSafe(String field, String value) {
        if (value == null || !SAFE_ID.matcher(value).matches() || value.contains("..")) {
            throw new IllegalArgumentException(field + " '" + value + "' is not a safe name: use letters, digits, "
                    + "'.', '_' or '-', start with a letter or digit, at most 128 characters, no '..'");
        }
    }
}
