package io.fleetdeploy.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetdeploy.sandbox.aws.AwsApi;
import io.fleetdeploy.sandbox.aws.AwsEndpoint;
import io.fleetdeploy.sandbox.aws.AwsService;
import io.fleetdeploy.sandbox.aws.CallCounters;
import io.fleetdeploy.sandbox.aws.Faults;
import io.fleetdeploy.sandbox.aws.RdsAuthTokens;
import io.fleetdeploy.sandbox.aws.S3Endpoint;
import io.fleetdeploy.sandbox.aws.StsService;
import io.fleetdeploy.sandbox.aws.Users;
import io.fleetdeploy.sandbox.runtime.DatabaseServer;
import io.fleetdeploy.sandbox.runtime.InstanceRuntime;
import io.fleetdeploy.sandbox.runtime.JdbcSchemaKeySource;
import io.fleetdeploy.sandbox.runtime.RuntimeIo;
import io.fleetdeploy.sandbox.runtime.SchemaKeySource;
import io.fleetdeploy.sandbox.runtime.ShellRunner;
import io.fleetdeploy.sandbox.services.AutoScalingService;
import io.fleetdeploy.sandbox.services.Ec2Service;
import io.fleetdeploy.sandbox.services.ElbService;
import io.fleetdeploy.sandbox.services.InstanceEnvironment;
import io.fleetdeploy.sandbox.services.Machine;
import io.fleetdeploy.sandbox.services.Machines;
import io.fleetdeploy.sandbox.services.RdsService;
import io.fleetdeploy.sandbox.services.ReleasePointers;
import io.fleetdeploy.sandbox.services.SsmService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A local, AWS-compatible cloud on loopback: S3 (S3Proxy), one endpoint for Auto Scaling, ELBv2,
 * EC2, SSM, RDS and STS, real instances, real listeners and real PostgreSQL databases, plus an
 * admin HTTP API for faults and call counters. {@link #start(SandboxConfig)} validates the whole
 * configuration before anything starts; {@link #close()} stops everything it started.
 */
public final class Sandbox implements AutoCloseable {

    private final SandboxConfig config;
    private final Deque<AutoCloseable> started;
    private final Path workDir;
    private final boolean ownsWorkDir;
    private final S3Endpoint s3;
    private final AwsEndpoint aws;
    private final SandboxAdmin admin;
    private final Faults faults;
    private final CallCounters counters;
    private final Machines machines;
    private final AutoScalingService autoScaling;
    private final ElbService elb;
    private final Map<String, DatabaseServer> databases;

    private Sandbox(Builder parts) {
        this.config = parts.config;
        this.started = parts.started;
        this.workDir = parts.workDir;
        this.ownsWorkDir = parts.ownsWorkDir;
        this.s3 = parts.s3;
        this.aws = parts.aws;
        this.admin = parts.admin;
        this.faults = parts.faults;
        this.counters = parts.counters;
        this.machines = parts.machines;
        this.autoScaling = parts.autoScaling;
        this.elb = parts.elb;
        this.databases = parts.databases;
    }

    /** What start() assembles, in the order it starts, so a failure can close exactly what started. */
    private static final class Builder {
        SandboxConfig config;
        final Deque<AutoCloseable> started = new ArrayDeque<>();
        Path workDir;
        boolean ownsWorkDir;
        S3Endpoint s3;
        AwsEndpoint aws;
        SandboxAdmin admin;
        Faults faults;
        CallCounters counters;
        Machines machines;
        AutoScalingService autoScaling;
        ElbService elb;
        Map<String, DatabaseServer> databases = new LinkedHashMap<>();

        <T extends AutoCloseable> T started(T part) {
            started.push(part);
            return part;
        }
    }

    /**
     * Starts a sandbox in this process.
     *
     * @throws SandboxConfigException when the configuration cannot run (nothing is started then)
     */
    public static Sandbox start(SandboxConfig config) {
        List<String> mistakes = new ArrayList<>();
        if (!config.groups().isEmpty() && config.agentScript().isEmpty()) {
            mistakes.add("agentScript: required when groups are configured: the path of fleet-agent.sh that new instances run");
        }
        config.agentScript().filter(p -> !Files.isRegularFile(p))
                .ifPresent(p -> mistakes.add("agentScript: no file " + p.toAbsolutePath().normalize()));
        if (!mistakes.isEmpty()) {
            throw new SandboxConfigException("(given to Sandbox.start)", mistakes);
        }
        Builder parts = new Builder();
        parts.config = config;
        try {
            startParts(parts);
            return new Sandbox(parts);
        } catch (IOException | RuntimeException e) {
            closeAll(parts.started, parts.ownsWorkDir ? parts.workDir : null);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("The sandbox could not start; everything it had started was stopped: "
                        + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    private static void startParts(Builder parts) throws IOException {
        SandboxConfig config = parts.config;
        Clock clock = Clock.systemUTC();
        parts.ownsWorkDir = config.workDir().isEmpty();
        parts.workDir = config.workDir().isPresent() ? Files.createDirectories(config.workDir().get())
                : Files.createTempDirectory("fleet-sandbox-");
        Users users = new Users(clock);
        config.users().forEach(u -> users.addUser(config.accountId(), u.name(), u.accessKeyId(), u.secretAccessKey()));
        parts.faults = new Faults(new SplittableRandom());
        parts.faults.setThrottleRate(config.faults().throttleRate());
        parts.faults.setServerErrorRate(config.faults().serverErrorRate());
        parts.faults.setLatency(config.faults().latency());
        parts.counters = new CallCounters();

        CompletableFuture<Map<String, DatabaseServer>> databases = startDatabases(config, parts.workDir,
                new RdsAuthTokens(users, config.region()));
        parts.s3 = parts.started(S3Endpoint.start(users, Files.createDirectories(parts.workDir.resolve("s3"))));
        SandboxConfig.User user = config.users().get(0);
        S3Client s3Client = parts.started(S3Client.builder().endpointOverride(parts.s3.endpoint())
                .region(Region.of(config.region())).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(user.accessKeyId(), user.secretAccessKey())))
                .httpClient(ApacheHttpClient.create()).build());
        s3Client.createBucket(b -> b.bucket(config.bucket()));
        try {
            databases.join().forEach((id, server) -> parts.databases.put(id, parts.started(server)));
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }

        SchemaKeySource keys = parts.databases.isEmpty() ? SchemaKeySource.NONE : schemaKeys(config, parts);
        RuntimeIo io = parts.started(RuntimeIo.create());
        InstanceRuntime runtime = parts.started(new InstanceRuntime(
                Files.createDirectories(parts.workDir.resolve("instances")), keys, io));
        ShellRunner shell = parts.started(new ShellRunner(ShellRunner.DEFAULT_MAX_CONCURRENT,
                Files.createDirectories(parts.workDir.resolve("command-output")), clock));
        parts.machines = new Machines(runtime, clock);
        parts.elb = parts.started(new ElbService(config, parts.machines, io, clock));
        parts.elb.start();
        parts.autoScaling = parts.started(new AutoScalingService(config, parts.machines, parts.elb, shell,
                pointers(config, s3Client), instanceEnvironment(config, parts.s3.endpoint()), clock));
        List<AwsService> services = List.of(AwsApi.AUTO_SCALING.service(parts.autoScaling), AwsApi.ELBV2.service(parts.elb),
                AwsApi.EC2.service(new Ec2Service(parts.machines, config.accountId())),
                AwsApi.SSM.service(new SsmService(config, parts.machines, shell, clock)),
                AwsApi.RDS.service(new RdsService(config, parts.databases, clock)),
                new StsService(users, Map.of()));
        parts.aws = parts.started(AwsEndpoint.start(services, users, parts.faults, parts.counters));
        parts.admin = parts.started(SandboxAdmin.start(parts.faults, parts.counters, parts.machines, parts.autoScaling,
                io.scheduler()));
    }

    /** @param iamTokens checks the IAM tokens of the databases with {@code iamAuthentication} */
    private static CompletableFuture<Map<String, DatabaseServer>> startDatabases(SandboxConfig config, Path workDir,
                                                                              RdsAuthTokens iamTokens) {
        // Each embedded PostgreSQL takes seconds to start: start them together, alongside S3.
        List<CompletableFuture<Map.Entry<String, DatabaseServer>>> starting = config.databases().stream()
                .map(db -> CompletableFuture.supplyAsync(() -> {
                    Path dir = workDir.resolve("rds").resolve(db.identifier());
                    return Map.entry(db.identifier(), db.iamAuthentication()
                            ? DatabaseServer.start(db.dbName(), db.masterUsername(), db.masterPassword(), dir, iamTokens::refusal)
                            : DatabaseServer.start(db.dbName(), db.masterUsername(), db.masterPassword(), dir));
                }))
                .toList();
        return CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).handle((ignored, failure) -> {
            Map<String, DatabaseServer> servers = new LinkedHashMap<>();
            starting.stream().filter(each -> !each.isCompletedExceptionally()).map(CompletableFuture::join)
                    .forEach(entry -> servers.put(entry.getKey(), entry.getValue()));
            if (failure != null) {
                // The ones that did start are stopped here: the caller never gets them.
                servers.values().forEach(DatabaseServer::close);
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            }
            return servers;
        });
    }

    /** The schema key protocol reads the first database's fleet_schema_key table. */
    private static SchemaKeySource schemaKeys(SandboxConfig config, Builder parts) {
        SandboxConfig.Database spec = config.databases().get(0);
        DatabaseServer server = parts.databases.get(spec.identifier());
        return parts.started(new JdbcSchemaKeySource(server.jdbcUrl(), spec.masterUsername(), spec.masterPassword(),
                "fleet_schema_key"));
    }

    private static InstanceEnvironment instanceEnvironment(SandboxConfig config, URI s3Endpoint) {
        SandboxConfig.User user = config.users().get(0);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("FLEET_BUCKET", config.bucket());
        env.put("FLEET_PREFIX", config.prefix());
        env.put("FLEET_S3_ENDPOINT", s3Endpoint.toString());
        env.put("FLEET_AWS", config.awsCli());
        env.put("AWS_ACCESS_KEY_ID", user.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", user.secretAccessKey());
        env.put("AWS_DEFAULT_REGION", config.region());
        env.put("AWS_REGION", config.region());
        Path agent = config.agentScript().orElse(Path.of("fleet-agent.sh")).toAbsolutePath().normalize();
        // Where the agent is "installed" on every instance, so SSM commands can run it as user data does.
        env.put("FLEET_AGENT", agent.toString());
        return new InstanceEnvironment(env, agent);
    }

    private static ReleasePointers pointers(SandboxConfig config, S3Client s3) {
        ObjectMapper json = new ObjectMapper();
        return (app, channel) -> {
            String key = (config.prefix().isEmpty() ? "" : config.prefix() + "/") + app + "/channels/" + channel + ".json";
            try {
                ResponseBytes<GetObjectResponse> pointer = s3.getObjectAsBytes(b -> b.bucket(config.bucket()).key(key));
                JsonNode version = json.readTree(pointer.asByteArray()).get("version");
                return version != null && version.isTextual() ? Optional.of(version.asText()) : Optional.empty();
            } catch (NoSuchKeyException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new UncheckedIOException("the channel pointer s3://" + config.bucket() + "/" + key
                        + " is not JSON", e);
            }
        };
    }

    // ---- what tests, the CLI and the demo read ----

    public SandboxConfig config() {
        return config;
    }

    /** The one endpoint for Auto Scaling, ELBv2, EC2, SSM, RDS and STS. */
    public URI awsEndpoint() {
        return aws.endpoint();
    }

    /** S3 (path-style addressing). */
    public URI s3Endpoint() {
        return s3.endpoint();
    }

    /** The admin HTTP API: faults and call counters (see SandboxAdmin). */
    public URI adminEndpoint() {
        return admin.endpoint();
    }

    public String region() {
        return config.region();
    }

    public String accountId() {
        return config.accountId();
    }

    public String bucket() {
        return config.bucket();
    }

    public String prefix() {
        return config.prefix();
    }

    /** The configured users; the first one is what instances use. */
    public List<SandboxConfig.User> users() {
        return config.users();
    }

    /** Each listener's URL, keyed "loadBalancerName:port". */
    public Map<String, URI> listenerUrls() {
        return elb.listenerUrls();
    }

    /** Every instance launched so far (terminated ones included), in launch order. */
    public List<Machine> instances() {
        return machines.all();
    }

    public Optional<Machine> instance(String instanceId) {
        return machines.find(instanceId);
    }

    /** A group's instances and their lifecycle states (Pending, InService, Standby, ...), by id. */
    public Map<String, String> groupInstances(String groupName) {
        return autoScaling.instancesOf(groupName);
    }

    /** The running databases, by DB instance identifier. */
    public Map<String, DatabaseServer> databases() {
        return Map.copyOf(databases);
    }

    /** API faults, switchable at run time (also through the admin API). */
    public Faults faults() {
        return faults;
    }

    /** API calls per "service.Action". */
    public CallCounters counters() {
        return counters;
    }

    /** The directory holding the instances' disks, S3's data and command output. */
    public Path workDir() {
        return workDir;
    }

    @Override
    public void close() {
        closeAll(started, ownsWorkDir ? workDir : null);
    }

    private static void closeAll(Deque<AutoCloseable> started, Path deleteDir) {
        RuntimeException first = null;
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("a sandbox part failed to stop", e);
                }
            }
        }
        if (deleteDir != null) {
            try (Stream<Path> files = Files.walk(deleteDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A temporary directory left behind is the OS's temp cleaning's to remove.
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
