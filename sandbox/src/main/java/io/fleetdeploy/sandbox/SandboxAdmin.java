package io.fleetdeploy.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fleetdeploy.sandbox.aws.CallCounters;
import io.fleetdeploy.sandbox.aws.Faults;
import io.fleetdeploy.sandbox.services.AutoScalingService;
import io.fleetdeploy.sandbox.services.Machine;
import io.fleetdeploy.sandbox.services.Machines;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sandbox's admin HTTP API on loopback (JSON in, JSON out):
 * <pre>
 * GET    /counters                          API calls per "service.Action"
 * DELETE /counters                          resets them
 * GET    /faults                            API faults and instance faults now set
 * PUT    /faults/api                        {"throttleRate":0.3,"serverErrorRate":0.05,"latencyMillis":200,
 *                                            "action":"autoscaling.EnterStandby" (optional: only that action)}
 * DELETE /faults                            clears every fault
 * GET    /instances                         every instance: id, group, EC2 state, endpoint, version, faults
 * PUT    /instances/{id}/health-fault       {"failing":true}  its /health answers 500 while set
 * PUT    /instances/{id}/command-fault      {"failing":true}  every SSM command on it fails while set
 * POST   /instances/{id}/terminate          {} now, {"afterMillis":500} or {"at":"2026-01-01T10:00:00Z"}
 * </pre>
 */
public final class SandboxAdmin implements AutoCloseable {

    private static final Pattern INSTANCE_PATH = Pattern.compile("/instances/([A-Za-z0-9-]+)/([a-z-]+)");

    private final Faults faults;
    private final CallCounters counters;
    private final Machines machines;
    private final AutoScalingService autoScaling;
    private final ScheduledExecutorService scheduler;
    private final HttpServer server;
    private final ExecutorService worker;
    private final ObjectMapper json = new ObjectMapper();

    private SandboxAdmin(Faults faults, CallCounters counters, Machines machines, AutoScalingService autoScaling,
            ScheduledExecutorService scheduler, HttpServer server, ExecutorService worker) {
        this.faults = faults;
        this.counters = counters;
        this.machines = machines;
        this.autoScaling = autoScaling;
        this.scheduler = scheduler;
        this.server = server;
        this.worker = worker;
    }

    static SandboxAdmin start(Faults faults, CallCounters counters, Machines machines, AutoScalingService autoScaling,
            ScheduledExecutorService scheduler) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "sandbox-admin");
            thread.setDaemon(true);
            return thread;
        });
        SandboxAdmin admin = new SandboxAdmin(faults, counters, machines, autoScaling, scheduler, server, worker);
        server.createContext("/", admin::exchange);
        server.setExecutor(worker);
        server.start();
        return admin;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
        worker.shutdownNow();
    }

    private record Reply(int status, Object body) {
    }

    private void exchange(HttpExchange exchange) throws IOException {
        Reply reply;
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            JsonNode request = body.length == 0 ? json.createObjectNode() : json.readTree(body);
            reply = route(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), request);
        } catch (IOException e) {
            reply = error(400, "The body is not JSON: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            reply = error(400, e.getMessage());
        }
        byte[] out = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(reply.body());
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(reply.status(), out.length);
        exchange.getResponseBody().write(out);
        exchange.close();
    }

    private Reply route(String method, String path, JsonNode body) {
        switch (method + " " + path) {
            case "GET /counters":
                return new Reply(200, counters.snapshot());
            case "DELETE /counters":
                counters.reset();
                return new Reply(200, counters.snapshot());
            case "GET /faults":
                return new Reply(200, faultView());
            case "PUT /faults/api":
                return setApiFaults(body);
            case "DELETE /faults":
                faults.clear();
                machines.all().forEach(m -> {
                    m.commandFault(false);
                    m.host().setHealthFault(false);
                });
                return new Reply(200, faultView());
            case "GET /instances":
                return new Reply(200, instances());
            default:
                break;
        }
        Matcher instancePath = INSTANCE_PATH.matcher(path);
        if (!instancePath.matches()) {
            return error(404, "No admin resource " + method + " " + path + "; see the SandboxAdmin documentation.");
        }
        Optional<Machine> machine = machines.find(instancePath.group(1));
        if (machine.isEmpty()) {
            return error(404, "No instance " + instancePath.group(1) + " in this sandbox.");
        }
        return switch (method + " " + instancePath.group(2)) {
            case "PUT health-fault" -> {
                machine.get().host().setHealthFault(flag(body));
                yield new Reply(200, instance(machine.get()));
            }
            case "PUT command-fault" -> {
                machine.get().commandFault(flag(body));
                yield new Reply(200, instance(machine.get()));
            }
            case "POST terminate" -> terminate(machine.get(), body);
            default -> error(404, "No admin resource " + method + " " + path + "; see the SandboxAdmin documentation.");
        };
    }

    private Reply setApiFaults(JsonNode body) {
        String action = body.hasNonNull("action") ? body.get("action").asText() : null;
        Double throttle = rate(body, "throttleRate");
        Double serverErrors = rate(body, "serverErrorRate");
        Duration latency = null;
        if (body.has("latencyMillis")) {
            if (!body.get("latencyMillis").canConvertToLong() || body.get("latencyMillis").asLong() < 0
                    || body.get("latencyMillis").asLong() > 60_000) {
                throw new IllegalArgumentException("latencyMillis must be a whole number from 0 to 60000; nothing was changed.");
            }
            latency = Duration.ofMillis(body.get("latencyMillis").asLong());
        }
        if (throttle != null) {
            if (action == null) {
                faults.setThrottleRate(throttle);
            } else {
                faults.setThrottleRate(action, throttle);
            }
        }
        if (serverErrors != null) {
            if (action == null) {
                faults.setServerErrorRate(serverErrors);
            } else {
                faults.setServerErrorRate(action, serverErrors);
            }
        }
        if (latency != null) {
            if (action == null) {
                faults.setLatency(latency);
            } else {
                faults.setLatency(action, latency);
            }
        }
        return new Reply(200, faultView());
    }

    private static Double rate(JsonNode body, String field) {
        if (!body.has(field)) {
            return null;
        }
        JsonNode value = body.get(field);
        if (!value.isNumber() || value.asDouble() < 0 || value.asDouble() > 1) {
            throw new IllegalArgumentException(field + " must be a number from 0 to 1; nothing was changed.");
        }
        return value.asDouble();
    }

    private static boolean flag(JsonNode body) {
        JsonNode failing = body.get("failing");
        if (failing == null || !failing.isBoolean()) {
            throw new IllegalArgumentException("The body must be {\"failing\": true} or {\"failing\": false}.");
        }
        return failing.asBoolean();
    }

    private Reply terminate(Machine machine, JsonNode body) {
        Instant now = Instant.now();
        Instant at = now;
        if (body.has("afterMillis")) {
            if (!body.get("afterMillis").canConvertToLong() || body.get("afterMillis").asLong() < 0) {
                throw new IllegalArgumentException("afterMillis must be a whole number of milliseconds, 0 or more.");
            }
            at = now.plusMillis(body.get("afterMillis").asLong());
        } else if (body.has("at")) {
            try {
                at = Instant.parse(body.get("at").asText());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("at must be an ISO-8601 instant such as 2026-01-01T10:00:00Z.");
            }
        }
        long delay = Math.max(0, Duration.between(now, at).toMillis());
        if (delay == 0) {
            machines.terminate(machine.id());
        } else {
            scheduler.schedule(() -> machines.terminate(machine.id()), delay, TimeUnit.MILLISECONDS);
        }
        ObjectNode reply = instance(machine);
        reply.put("terminatesAt", at.toString());
        return new Reply(202, reply);
    }

    private ObjectNode faultView() {
        ObjectNode view = json.createObjectNode();
        Faults.Settings settings = faults.settings();
        view.set("throttleRates", json.valueToTree(settings.throttleRates()));
        view.set("serverErrorRates", json.valueToTree(settings.serverErrorRates()));
        ObjectNode latencies = view.putObject("latencyMillis");
        settings.latencies().forEach((key, value) -> latencies.put(key, value.toMillis()));
        ArrayNode health = view.putArray("failingHealthChecks");
        ArrayNode commands = view.putArray("failingCommands");
        for (Machine machine : machines.all()) {
            if (machine.host().healthFault()) {
                health.add(machine.id());
            }
            if (machine.commandFault()) {
                commands.add(machine.id());
            }
        }
        return view;
    }

    private ArrayNode instances() {
        ArrayNode list = json.createArrayNode();
        machines.all().forEach(m -> list.add(instance(m)));
        return list;
    }

    private ObjectNode instance(Machine machine) {
        ObjectNode node = json.createObjectNode();
        node.put("instanceId", machine.id());
        String group = machine.tags().get("aws:autoscaling:groupName");
        node.put("group", group);
        if (group != null) {
            node.put("lifecycleState", autoScaling.instancesOf(group).getOrDefault(machine.id(), "Terminated"));
        }
        node.put("state", machine.state());
        node.put("availabilityZone", machine.availabilityZone());
        node.put("endpoint", machine.host().endpoint().toString());
        node.put("home", machine.host().home().toString());
        node.put("version", machine.host().currentVersion().orElse(null));
        node.put("healthFault", machine.host().healthFault());
        node.put("commandFault", machine.commandFault());
        return node;
    }

    private Reply error(int status, String message) {
        return new Reply(status, Map.of("error", message));
    }
}
