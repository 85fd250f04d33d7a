package io.fleetdeploy.sandbox.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.core.SdkPojo;

/**
 * One HTTP endpoint on loopback for every Query and JSON 1.1 service of the sandbox. It verifies
 * the SigV4 signature against {@link Users}, routes by the credential scope's service name,
 * counts the call, applies {@link Faults}, turns the wire request into the SDK's request object,
 * and writes the service's response object (or error) in the service's wire format.
 */
public final class AwsEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AwsEndpoint.class);
    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;
    private static final int WORKER_THREADS = 16;
    private static final int QUEUED_REQUESTS = 1024;
    private static final String XML = "text/xml";

    private final Map<String, AwsService> services;
    private final SigV4Verifier verifier;
    private final Faults faults;
    private final CallCounters counters;
    private final ModelBinding binding = new ModelBinding();
    private final QueryCodec query = new QueryCodec(false);
    private final QueryCodec ec2Query = new QueryCodec(true);
    private final JsonCodec json = new JsonCodec();
    private final HttpServer server;
    private final ThreadPoolExecutor workers;

    private AwsEndpoint(Map<String, AwsService> services, Users users, Faults faults, CallCounters counters,
                        HttpServer server, ThreadPoolExecutor workers) {
        this.services = services;
        this.verifier = new SigV4Verifier(users);
        this.faults = faults;
        this.counters = counters;
        this.server = server;
        this.workers = workers;
    }

    /** Starts the endpoint on 127.0.0.1 on an ephemeral port. */
    public static AwsEndpoint start(List<AwsService> services, Users users, Faults faults, CallCounters counters)
            throws IOException {
        return start(0, services, users, faults, counters);
    }

    /**
     * Starts the endpoint on 127.0.0.1.
     *
     * @param port the port, or 0 for an ephemeral one
     * @throws IllegalArgumentException when two services share a signing name
     * @throws IOException              when the port cannot be bound
     */
    public static AwsEndpoint start(int port, List<AwsService> services, Users users, Faults faults,
                                    CallCounters counters) throws IOException {
        Map<String, AwsService> bySigningName = new HashMap<>();
        for (AwsService service : services) {
            if (bySigningName.putIfAbsent(service.signingName(), service) != null) {
                throw new IllegalArgumentException("two services have the signing name " + service.signingName());
            }
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        ThreadPoolExecutor workers = new ThreadPoolExecutor(WORKER_THREADS, WORKER_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUED_REQUESTS), daemonThreads());
        workers.allowCoreThreadTimeOut(true);
        AwsEndpoint endpoint = new AwsEndpoint(Map.copyOf(bySigningName), users, faults, counters, server, workers);
        server.createContext("/", endpoint::exchange);
        server.setExecutor(workers);
        server.start();
        return endpoint;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops accepting requests and waits (at most 5 s) for the ones in progress. */
    @Override
    public void close() {
        server.stop(0);
        workers.shutdown();
        try {
            if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
    }

    private void exchange(HttpExchange exchange) {
        String requestId = UUID.randomUUID().toString();
        try (exchange) {
            Reply reply;
            try {
                reply = dispatch(read(exchange), requestId);
            } catch (BodyTooLarge e) {
                reply = error(Protocol.QUERY, null, new AwsServiceError(413, "RequestEntityTooLarge",
                        "The request body is larger than " + MAX_BODY_BYTES + " bytes"), requestId);
            }
            exchange.getResponseHeaders().set("Content-Type", reply.contentType());
            exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
            reply.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            exchange.sendResponseHeaders(reply.status(), reply.body().length);
            exchange.getResponseBody().write(reply.body());
        } catch (IOException e) {
            LOG.debug("request {}: the client went away: {}", requestId, e.toString());
        }
    }

    private Reply dispatch(WireRequest request, String requestId) {
        Protocol guessed = request.header("x-amz-target").isPresent() ? Protocol.JSON_1_1 : Protocol.QUERY;
        SigV4Verifier.Claim claim;
        try {
            claim = SigV4Verifier.claim(request);
        } catch (AuthFailure failure) {
            return error(guessed, null, failure.toServiceError(guessed), requestId);
        }
        AwsService service = services.get(claim.service());
        if (service == null) {
            return error(guessed, null, new AwsServiceError(400, "UnknownService", "The sandbox answers no service named '"
                    + claim.service() + "' (it answers " + new TreeMap<>(services).keySet() + ")"), requestId);
        }
        SigV4Verifier.Verified verified;
        try {
            verified = verifier.verify(request, claim);
        } catch (AuthFailure failure) {
            return error(service.protocol(), service, failure.toServiceError(service.protocol()), requestId);
        }
        try {
            return call(service, request, new CallContext(verified.credential().accessKeyId(), verified.region(), requestId));
        } catch (AwsServiceError e) {
            return error(service.protocol(), service, e, requestId);
        } catch (RuntimeException e) {
            LOG.warn("request {} to {} failed in the sandbox itself", requestId, service.signingName(), e);
            return error(service.protocol(), service, new AwsServiceError(500, "InternalFailure",
                    "The sandbox failed to answer this request (" + e.getClass().getSimpleName() + "); see its log, request id "
                            + requestId), requestId);
        }
    }

    private Reply call(AwsService service, WireRequest request, CallContext context) throws AwsServiceError {
        Protocol protocol = service.protocol();
        NavigableMap<String, String> params = protocol == Protocol.JSON_1_1 ? new TreeMap<>() : params(request, protocol);
        String action = protocol == Protocol.JSON_1_1 ? targetAction(request) : params.get("Action");
        if (action == null || action.isEmpty()) {
            throw protocol == Protocol.JSON_1_1
                    ? new AwsServiceError(400, "UnknownOperationException", "The X-Amz-Target header names no operation")
                    : new AwsServiceError(400, "MissingAction", "The request must contain the parameter Action");
        }
        SdkPojo builder = binding.requestBuilder(service.modelPackage(), action).orElseThrow(() ->
                protocol == Protocol.JSON_1_1
                        ? new AwsServiceError(400, "UnknownOperationException", "The operation " + action + " is not known to "
                                + service.signingName())
                        : new AwsServiceError(400, "InvalidAction", "The action " + action + " is not valid for this web service."));
        String key = service.signingName() + "." + action;
        counters.increment(key);
        pause(faults.latencyFor(key));
        Optional<Faults.Fault> fault = faults.decide(key);
        if (fault.isPresent()) {
            throw injected(fault.get(), protocol);
        }
        AwsRequest awsRequest = protocol == Protocol.JSON_1_1 ? json.read(builder, request.body())
                : codec(protocol).read(builder, params);
        AwsResponse response = service.handle(action, awsRequest, context);
        String requestClass = awsRequest.getClass().getSimpleName();
        String expected = requestClass.substring(0, requestClass.length() - "Request".length()) + "Response";
        if (response == null || !response.getClass().getSimpleName().equals(expected)) {
            // A wrong type would be written as a well-formed but wrong answer; fail loudly instead.
            throw new IllegalStateException(key + " answered " + (response == null ? "nothing" : response.getClass().getSimpleName())
                    + " instead of " + expected);
        }
        if (protocol == Protocol.JSON_1_1) {
            return new Reply(200, JsonCodec.CONTENT_TYPE, json.response(response), Map.of());
        }
        String xml = codec(protocol).response(action, service.xmlNamespace(), response, context.requestId());
        return new Reply(200, XML, xml.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private QueryCodec codec(Protocol protocol) {
        return protocol == Protocol.EC2_QUERY ? ec2Query : query;
    }

    private static AwsServiceError injected(Faults.Fault fault, Protocol protocol) {
        return switch (fault) {
            case THROTTLING -> switch (protocol) {
                case QUERY -> new AwsServiceError(400, "Throttling", "Rate exceeded");
                case EC2_QUERY -> new AwsServiceError(503, "RequestLimitExceeded", "Request limit exceeded.");
                case JSON_1_1 -> new AwsServiceError(400, "ThrottlingException", "Rate exceeded");
            };
            case SERVER_ERROR -> protocol == Protocol.EC2_QUERY
                    ? new AwsServiceError(500, "InternalError", "An internal error has occurred (injected fault)")
                    : new AwsServiceError(500, "InternalFailure", "The request processing has failed because of an "
                            + "unknown error, exception or failure (injected fault)");
        };
    }

    private static void pause(Duration latency) {
        if (latency.isZero()) {
            return;
        }
        try {
            Thread.sleep(latency.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Reply error(Protocol protocol, AwsService service, AwsServiceError error, String requestId) {
        if (protocol == Protocol.JSON_1_1) {
            return new Reply(error.httpStatus(), JsonCodec.CONTENT_TYPE, json.error(error), Map.of("x-amzn-ErrorType", error.code()));
        }
        String namespace = service == null ? "" : service.xmlNamespace();
        String xml = codec(protocol).error(error, namespace, requestId);
        return new Reply(error.httpStatus(), XML, xml.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private static String targetAction(WireRequest request) {
        String target = request.header("x-amz-target").orElse("");
        return target.substring(target.lastIndexOf('.') + 1);
    }

    /** Query parameters from the URL and the form body together, as Query services read them. */
    private NavigableMap<String, String> params(WireRequest request, Protocol protocol) throws AwsServiceError {
        NavigableMap<String, String> params = new TreeMap<>();
        for (String[] pair : SigV4Verifier.queryPairs(request.rawQuery())) {
            params.putIfAbsent(pair[0], pair[1]);
        }
        String contentType = request.header("content-type").orElse("").toLowerCase(Locale.ROOT);
        if (request.body().length > 0 && (contentType.isEmpty() || contentType.startsWith("application/x-www-form-urlencoded"))) {
            try {
                for (String part : new String(request.body(), StandardCharsets.UTF_8).split("&")) {
                    if (part.isEmpty()) {
                        continue;
                    }
                    int eq = part.indexOf('=');
                    String name = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
                    String value = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
                    params.put(name, value);
                }
            } catch (IllegalArgumentException e) {
                throw new AwsServiceError(400, codec(protocol).invalidParameterCode(),
                        "The form body is not valid application/x-www-form-urlencoded: " + e.getMessage());
            }
        }
        return params;
    }

    private static WireRequest read(HttpExchange exchange) throws IOException, BodyTooLarge {
        Map<String, List<String>> headers = new HashMap<>();
        exchange.getRequestHeaders().forEach((name, values) ->
                headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(values));
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES) {
            throw new BodyTooLarge();
        }
        URI uri = exchange.getRequestURI();
        return new WireRequest(exchange.getRequestMethod(), uri.getRawPath(), uri.getRawQuery(), headers, body);
    }

    private static final class BodyTooLarge extends Exception {
        private static final long serialVersionUID = 1L;

        BodyTooLarge() {
            super(null, null, false, false);
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger number = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "sandbox-aws-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

}
