package io.fleetdeploy.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The EC2 instance metadata service as the agent meets it on an instance, IMDSv2 only: a PUT of
 * /latest/api/token with a TTL header hands out a session token, and every GET without that token
 * is refused with 401. It serves one instance role's temporary credentials (with a session token)
 * and the instance's region, on 127.0.0.1 with an ephemeral port.
 */
final class FakeInstanceMetadata implements AutoCloseable {

    static final String ROLE = "fleet-instance-role";
    private static final String TOKEN_HEADER = "X-aws-ec2-metadata-token";
    private static final String TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds";

    private final String imdsToken = "imds-" + UUID.randomUUID();
    private final String accessKeyId = "ASIA" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toUpperCase();
    private final String secretAccessKey = "role-secret-" + UUID.randomUUID();
    private final String sessionToken = "role-session-" + UUID.randomUUID();
    private final String region;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    FakeInstanceMetadata(String region) throws IOException {
        this.region = region;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            String token = exchange.getRequestHeaders().getFirst(TOKEN_HEADER);
            boolean tokenValid = imdsToken.equals(token);
            requests.add(method + " " + path + (tokenValid ? " (token)" : token == null ? " (no token)" : " (wrong token)"));
            if (method.equals("PUT") && path.equals("/latest/api/token")) {
                String ttl = exchange.getRequestHeaders().getFirst(TTL_HEADER);
                if (ttl == null || !ttl.matches("\\d+")) {
                    reply(exchange, 400, "missing " + TTL_HEADER);
                } else {
                    reply(exchange, 200, imdsToken);
                }
                return;
            }
            if (!method.equals("GET")) {
                reply(exchange, 405, "");
                return;
            }
            if (!tokenValid) {
                reply(exchange, 401, "");
                return;
            }
            switch (path) {
                case "/latest/meta-data/iam/security-credentials/" -> reply(exchange, 200, ROLE);
                case "/latest/meta-data/iam/security-credentials/" + ROLE -> reply(exchange, 200, """
                        {
                          "Code" : "Success",
                          "LastUpdated" : "%s",
                          "Type" : "AWS-HMAC",
                          "AccessKeyId" : "%s",
                          "SecretAccessKey" : "%s",
                          "Token" : "%s",
                          "Expiration" : "%s"
                        }""".formatted(Instant.now().truncatedTo(ChronoUnit.SECONDS), accessKeyId, secretAccessKey,
                        sessionToken, Instant.now().plus(6, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS)));
                case "/latest/meta-data/placement/region" -> reply(exchange, 200, region);
                default -> reply(exchange, 404, "");
            }
        }
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
    }

    /** For AWS_EC2_METADATA_SERVICE_ENDPOINT: with the trailing slash, as the AWS CLI expects it. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    String imdsToken() {
        return imdsToken;
    }

    String accessKeyId() {
        return accessKeyId;
    }

    String secretAccessKey() {
        return secretAccessKey;
    }

    String sessionToken() {
        return sessionToken;
    }

    /** "METHOD path (token|no token|wrong token)", in the order they came. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
