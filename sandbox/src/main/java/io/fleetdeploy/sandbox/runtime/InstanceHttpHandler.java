package io.fleetdeploy.sandbox.runtime;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The application an instance runs: health, the release it serves, and the schema key protocol. */
final class InstanceHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final String INSTANCE_ID = "X-Instance-Id";
    static final String APP_VERSION = "X-App-Version";
    static final String CODE_SCHEMA_KEY = "X-Code-Schema-Key";
    static final String DB_SCHEMA_KEY = "X-Db-Schema-Key";
    /** Set on a request one node forwards to another for the schema key; such a request is never forwarded again. */
    static final String SCHEMA_FORWARDED_BY = "X-Schema-Forwarded-By";
    private static final long MAX_DELAY_MS = 60_000;
    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(65);
    private static final Logger LOG = LoggerFactory.getLogger(InstanceHttpHandler.class);

    private final LoopbackInstance instance;
    private final SchemaKeySource dbKeys;
    private final PeerDirectory peers;
    private final RuntimeIo io;

    InstanceHttpHandler(LoopbackInstance instance, SchemaKeySource dbKeys, PeerDirectory peers, RuntimeIo io) {
        this.instance = instance;
        this.dbKeys = dbKeys;
        this.peers = peers;
        this.io = io;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        Optional<Release> release = instance.release();
        if (uri.path().equals("/health")) {
            HttpRelay.respond(ctx, keepAlive, health(release));
            return;
        }
        if (release.isEmpty()) {
            HttpRelay.respond(ctx, keepAlive, withIdentity(HttpRelay.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    instance.id() + " has no release installed\n"), release, Optional.empty()));
            return;
        }
        Optional<String> codeKey = release.get().schemaKey();
        if (codeKey.isEmpty()) {
            // Code that does not check the key (the pull workers) serves without asking the database.
            Optional<String> dbKey = dbKeys.keyFor(instance.app());
            serve(ctx, keepAlive, uri, release, dbKey, SchemaKeySource.KeyHold.unheld(dbKey));
            return;
        }
        // The work runs under the database's key, held until it is done (a flip waits for it): a node never
        // serves with a key the database no longer has. The request outlives this call, so it is retained.
        request.retain();
        dbKeys.hold(instance.app()).whenComplete((hold, failure) -> {
            try {
                if (failure != null) {
                    LOG.debug("{}: no schema key", instance, failure);
                    HttpRelay.respond(ctx, keepAlive, withIdentity(HttpRelay.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                            instance.id() + " could not read the database's schema key\n"), release, Optional.empty()));
                    return;
                }
                Optional<String> dbKey = hold.key();
                if (dbKey.isPresent() && !dbKey.equals(codeKey)) {
                    hold.close();
                    forwardToMatchingPeer(ctx, keepAlive, request, release, dbKey.get());
                    return;
                }
                serve(ctx, keepAlive, uri, release, dbKey, hold);
            } finally {
                request.release();
            }
        });
    }

    /** Answers with this node's release; the key hold ends once the answer is written. */
    private void serve(ChannelHandlerContext ctx, boolean keepAlive, QueryStringDecoder uri, Optional<Release> release,
                       Optional<String> dbKey, SchemaKeySource.KeyHold hold) {
        FullHttpResponse ok = withIdentity(HttpRelay.text(HttpResponseStatus.OK,
                instance.id() + " " + release.get().version() + "\n"), release, dbKey);
        long delayMs = delayMs(uri);
        if (delayMs > 0) {
            ctx.executor().schedule(() -> {
                HttpRelay.respond(ctx, keepAlive, ok);
                // Ending the hold is a database round trip: not on the event loop.
                io.scheduler().execute(hold::close);
            }, delayMs, TimeUnit.MILLISECONDS);
        } else {
            HttpRelay.respond(ctx, keepAlive, ok);
            hold.close();
        }
    }

    private FullHttpResponse health(Optional<Release> release) {
        if (instance.healthFault()) {
            return HttpRelay.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "health fault injected\n");
        }
        if (release.isEmpty()) {
            return HttpRelay.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "no release installed\n");
        }
        if (!release.get().healthy()) {
            return HttpRelay.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "release " + release.get().version() + " is a bad build (healthy=false)\n");
        }
        return HttpRelay.text(HttpResponseStatus.OK, "ok\n");
    }

    private void forwardToMatchingPeer(ChannelHandlerContext ctx, boolean keepAlive, FullHttpRequest request,
                                       Optional<Release> release, String dbKey) {
        String codeKey = release.flatMap(Release::schemaKey).orElse("");
        Optional<LoopbackInstance> peer = request.headers().contains(SCHEMA_FORWARDED_BY)
                ? Optional.empty()
                : peers.servingPeer(instance.app(), dbKey, instance.id());
        if (peer.isEmpty()) {
            HttpRelay.respond(ctx, keepAlive, withIdentity(HttpRelay.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    instance.id() + " runs schema key " + codeKey + " but the database is at " + dbKey
                            + " and no running node of " + instance.app() + " has that key\n"),
                    release, Optional.of(dbKey)));
            return;
        }
        HttpRequest forwarded;
        try {
            forwarded = HttpRelay.forward(request, peer.get().endpoint(), FORWARD_TIMEOUT,
                    Map.of(SCHEMA_FORWARDED_BY, instance.id()));
        } catch (IllegalArgumentException malformed) {
            HttpRelay.respond(ctx, false, HttpRelay.text(HttpResponseStatus.BAD_REQUEST, "400 Bad Request\n"));
            return;
        }
        io.http().sendAsync(forwarded, HttpResponse.BodyHandlers.ofByteArray())
                .whenComplete((response, failure) -> {
                    if (failure != null) {
                        LOG.debug("{} could not forward to {}", instance, peer.get(), failure);
                        HttpRelay.respond(ctx, keepAlive, withIdentity(HttpRelay.text(HttpResponseStatus.BAD_GATEWAY,
                                instance.id() + " could not reach " + peer.get().id() + " (schema key " + dbKey + ")\n"),
                                release, Optional.of(dbKey)));
                    } else {
                        HttpRelay.respond(ctx, keepAlive, HttpRelay.toNetty(response));
                    }
                });
    }

    private FullHttpResponse withIdentity(FullHttpResponse response, Optional<Release> release, Optional<String> dbKey) {
        response.headers().set(INSTANCE_ID, instance.id());
        release.ifPresent(r -> response.headers().set(APP_VERSION, r.version()));
        release.flatMap(Release::schemaKey).ifPresent(key -> response.headers().set(CODE_SCHEMA_KEY, key));
        dbKey.ifPresent(key -> response.headers().set(DB_SCHEMA_KEY, key));
        return response;
    }

    private static long delayMs(QueryStringDecoder uri) {
        List<String> values = uri.parameters().get("delayMs");
        if (values == null || values.isEmpty()) {
            return 0;
        }
        try {
            return Math.max(0, Math.min(MAX_DELAY_MS, Long.parseLong(values.get(0))));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("{}: connection failed", instance, cause);
        ctx.close();
    }
}
