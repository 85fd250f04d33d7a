package io.fleetdeploy.sandbox.runtime;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A load balancer listener: a real HTTP reverse proxy on its own loopback port. For each request it asks
 * the {@link RouteSource} for the target groups (so weight and group changes apply to the next request),
 * picks one of the groups that have a healthy target at random in proportion to its weight (groups of
 * weight 0 get nothing), then that group's next healthy target in round-robin order, and relays method,
 * path, query, headers (plus X-Forwarded-For/-Proto/-Port) and body; the target's answer goes back as it
 * is. The request counts as in flight on its target until the answer is in, which is what makes draining
 * real.
 *
 * <p>Answers of its own: 503 when no group has a healthy target; 502 when the target fails; 504 when it
 * does not answer within 60 s (ALB's default idle timeout). A target that refuses the connection never
 * saw the request, so the request is retried once on another healthy target (of the same group first)
 * before the 502; so is a GET or HEAD whose connection broke (e.g. a kept-alive connection the target
 * closed as it was terminated), since repeating it changes nothing.
 */
public final class ListenerProxy implements AutoCloseable {
    public interface RouteSource {
        List<WeightedGroup> groups();
    }

    public record WeightedGroup(int weight, TargetGroupHealth group) {
        public WeightedGroup {
            Objects.requireNonNull(group, "group");
            if (weight < 0) {
                throw new IllegalArgumentException("weight of target group " + group.name() + " must not be negative");
            }
        }
    }

    private static final Duration TARGET_TIMEOUT = Duration.ofSeconds(60);
    private static final Logger LOG = LoggerFactory.getLogger(ListenerProxy.class);

    private final RouteSource routes;
    private final RuntimeIo io;
    private final boolean ownsIo;
    private final Map<TargetGroupHealth, AtomicInteger> turns = new ConcurrentHashMap<>();
    private volatile Channel server;
    private volatile OpenConnections connections;

    /** A listener with its own {@link RuntimeIo}, closed with it. */
    public ListenerProxy(RouteSource routes) {
        this(routes, RuntimeIo.create(), true);
    }

    /** A listener on a shared {@link RuntimeIo}, which the caller closes. */
    public ListenerProxy(RouteSource routes, RuntimeIo io) {
        this(routes, io, false);
    }

    private ListenerProxy(RouteSource routes, RuntimeIo io, boolean ownsIo) {
        this.routes = Objects.requireNonNull(routes, "routes");
        this.io = Objects.requireNonNull(io, "io");
        this.ownsIo = ownsIo;
    }

    /** Binds 127.0.0.1 on an ephemeral port; a second call does nothing. */
    public synchronized void start() {
        if (server != null) {
            return;
        }
        OpenConnections open = new OpenConnections(io.eventLoop().next());
        server = io.bindHttp(ProxyHandler::new, open);
        connections = open;
    }

    public int port() {
        Channel channel = server;
        if (channel == null) {
            throw new IllegalStateException("the listener is not started");
        }
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
            connections.closeAll();
        }
        if (ownsIo) {
            io.close();
        }
    }

    private record Choice(TargetGroupHealth group, TargetGroupHealth.Target target) {
    }

    /** A weighted pick among groups with a healthy target, then round robin; empty when nothing is routable. */
    private Optional<Choice> choose(String excludedTargetId) {
        List<WeightedGroup> candidates = new ArrayList<>();
        long totalWeight = 0;
        for (WeightedGroup weighted : routes.groups()) {
            if (weighted.weight() > 0 && hasTarget(weighted.group(), excludedTargetId)) {
                candidates.add(weighted);
                totalWeight += weighted.weight();
            }
        }
        while (!candidates.isEmpty()) {
            long ticket = ThreadLocalRandom.current().nextLong(totalWeight);
            WeightedGroup picked = candidates.get(candidates.size() - 1);
            for (WeightedGroup candidate : candidates) {
                if (ticket < candidate.weight()) {
                    picked = candidate;
                    break;
                }
                ticket -= candidate.weight();
            }
            Optional<Choice> choice = startOn(picked.group(), excludedTargetId);
            if (choice.isPresent()) {
                return choice;
            }
            // Every target of that group stopped being routable since we looked: try the others.
            candidates.remove(picked);
            totalWeight -= picked.weight();
        }
        return Optional.empty();
    }

    private Optional<Choice> choose(TargetGroupHealth preferred, String excludedTargetId) {
        return startOn(preferred, excludedTargetId).or(() -> choose(excludedTargetId));
    }

    private static boolean hasTarget(TargetGroupHealth group, String excludedTargetId) {
        return group.routable().stream().anyMatch(target -> !target.id().equals(excludedTargetId));
    }

    private Optional<Choice> startOn(TargetGroupHealth group, String excludedTargetId) {
        List<TargetGroupHealth.Target> targets = group.routable();
        if (targets.isEmpty()) {
            return Optional.empty();
        }
        int first = turns.computeIfAbsent(group, g -> new AtomicInteger()).getAndIncrement();
        for (int i = 0; i < targets.size(); i++) {
            TargetGroupHealth.Target target = targets.get(Math.floorMod(first + i, targets.size()));
            if (!target.id().equals(excludedTargetId) && group.tryStartRequest(target.id())) {
                return Optional.of(new Choice(group, target));
            }
        }
        return Optional.empty();
    }

    private final class ProxyHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            Optional<Choice> choice = choose(null);
            if (choice.isEmpty()) {
                HttpRelay.respond(ctx, keepAlive, HttpRelay.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "503 Service Temporarily Unavailable: no healthy target\n"));
                return;
            }
            request.retain();
            send(ctx, keepAlive, request, choice.get(), true);
        }

        private void send(ChannelHandlerContext ctx, boolean keepAlive, FullHttpRequest request, Choice choice,
                          boolean mayRetry) {
            Map<String, String> forwarded = Map.of(
                    "X-Forwarded-For", clientAddress(ctx),
                    "X-Forwarded-Proto", "http",
                    "X-Forwarded-Port", String.valueOf(port()));
            HttpRequest relayed;
            try {
                relayed = HttpRelay.forward(request, choice.target().endpoint(), TARGET_TIMEOUT, forwarded);
            } catch (IllegalArgumentException malformed) {
                choice.group().requestFinished(choice.target().id());
                request.release();
                HttpRelay.respond(ctx, false, HttpRelay.text(HttpResponseStatus.BAD_REQUEST, "400 Bad Request\n"));
                return;
            }
            io.http().sendAsync(relayed, HttpResponse.BodyHandlers.ofByteArray())
                    .whenComplete((response, failure) -> {
                        choice.group().requestFinished(choice.target().id());
                        if (failure == null) {
                            request.release();
                            HttpRelay.respond(ctx, keepAlive, HttpRelay.toNetty(response));
                            return;
                        }
                        if (mayRetry && retryable(request, failure)) {
                            Optional<Choice> other = choose(choice.group(), choice.target().id());
                            if (other.isPresent()) {
                                LOG.debug("{} could not be reached; retrying on {}", choice.target().id(),
                                        other.get().target().id());
                                send(ctx, keepAlive, request, other.get(), false);
                                return;
                            }
                        }
                        request.release();
                        LOG.debug("request to {} failed", choice.target().id(), failure);
                        HttpRelay.respond(ctx, keepAlive, timedOut(failure)
                                ? HttpRelay.text(HttpResponseStatus.GATEWAY_TIMEOUT, "504 Gateway Time-out\n")
                                : HttpRelay.text(HttpResponseStatus.BAD_GATEWAY, "502 Bad Gateway\n"));
                    });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("listener connection failed", cause);
            ctx.close();
        }
    }

    private static String clientAddress(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress address
                ? address.getAddress().getHostAddress() : "127.0.0.1";
    }

    private static boolean retryable(FullHttpRequest request, Throwable failure) {
        if (timedOut(failure)) {
            return false;
        }
        boolean safeMethod = request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || (safeMethod && cause instanceof IOException)) {
                return true;
            }
        }
        return false;
    }

    private static boolean timedOut(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpTimeoutException) {
                return true;
            }
        }
        return false;
    }
}
