package io.fleetdeploy.sandbox.runtime;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** A {@link RunningInstance} whose server is a channel on the runtime's shared event loop. */
final class LoopbackInstance implements RunningInstance {
    private final String id;
    private final String app;
    private final Path home;
    private final Map<String, String> env;
    private final CurrentRelease release;
    private volatile boolean healthFault;
    private volatile Channel server;
    private volatile OpenConnections connections;

    LoopbackInstance(String id, String app, Path home, Map<String, String> env) {
        this.id = id;
        this.app = app;
        this.home = home;
        this.env = Map.copyOf(env);
        this.release = new CurrentRelease(home);
    }

    void started(Channel server, OpenConnections connections) {
        this.server = server;
        this.connections = connections;
    }

    void stop() {
        Channel channel = server;
        if (channel != null) {
            channel.close().syncUninterruptibly();
            connections.closeAll();
        }
    }

    Optional<Release> release() {
        return release.get();
    }

    /** Would a load balancer's health check pass right now? */
    boolean serving() {
        return running() && !healthFault && release.get().map(Release::healthy).orElse(false);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String app() {
        return app;
    }

    @Override
    public Path home() {
        return home;
    }

    @Override
    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    @Override
    public Map<String, String> env() {
        return env;
    }

    @Override
    public Optional<String> currentVersion() {
        return release.get().map(Release::version);
    }

    @Override
    public Optional<String> codeSchemaKey() {
        return release.get().flatMap(Release::schemaKey);
    }

    @Override
    public void setHealthFault(boolean failing) {
        healthFault = failing;
    }

    @Override
    public boolean healthFault() {
        return healthFault;
    }

    @Override
    public boolean running() {
        Channel channel = server;
        return channel != null && channel.isOpen();
    }

    @Override
    public String toString() {
        return "instance " + id + " (" + app + ")";
    }
}
