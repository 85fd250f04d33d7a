package io.fleetdeploy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Runs the real fleet-agent.sh under a real shell, with the real AWS CLI (/usr/bin/aws) or the real
 * curl against an {@link S3Endpoint}, for one instance whose disk is {@link #home()}. Both are
 * reached through wrappers (the CLI as FLEET_AWS, curl first on PATH) that append each run's
 * arguments to one log, so tests can count S3 calls and prove that no secret is ever in an argv.
 */
final class AgentHarness {

    static final String AWS_CLI = "/usr/bin/aws";
    static final String CURL = "/usr/bin/curl";
    static final Path SCRIPT = Path.of(System.getProperty("fleet.agent.script", "fleet-agent.sh")).toAbsolutePath();
    private static final long RUN_DEADLINE_SECONDS = 90;
    private static final long OUTPUT_GRACE_SECONDS = 10;

    private final ObjectMapper json = new ObjectMapper();
    private final S3Endpoint s3;
    private final Path root;
    private final List<String> shell;
    private final String bucket;
    private final String prefix;
    private final String app = "shop";
    private final String group = "web";
    private final String instanceId;
    private final Path home;
    private final Path callLog;
    private final Path awsWrapper;
    private final Path curlWrapper;
    private final List<String> secrets = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();

    AgentHarness(S3Endpoint s3, Path root, List<String> shell, String bucket, String prefix, String instanceId)
            throws IOException {
        this.s3 = s3;
        this.root = root;
        this.shell = List.copyOf(shell);
        this.bucket = bucket;
        this.prefix = prefix;
        this.instanceId = instanceId;
        this.home = Files.createDirectories(root.resolve("instance"));
        this.callLog = root.resolve("s3-calls.log");
        this.awsWrapper = root.resolve("aws-logging");
        writeScript(awsWrapper, "#!/bin/sh\nprintf 'aws %s\\n' \"$*\" >> '" + callLog + "'\nexec " + AWS_CLI + " \"$@\"\n");
        this.curlWrapper = Files.createDirectories(root.resolve("bin")).resolve("curl");
        writeCurlWrapper(null);
        secrets.add(s3.secretKey());
        Path userHome = Files.createDirectories(root.resolve("user-home"));
        try {
            s3.client().createBucket(b -> b.bucket(bucket));
        } catch (BucketAlreadyOwnedByYouException sharedByTestsOfOneClass) {
            // the instances of one test class may share a bucket
        }

        env.put("PATH", curlWrapper.getParent() + ":" + System.getenv("PATH"));
        env.put("HOME", userHome.toString());
        env.put("AWS_ACCESS_KEY_ID", s3.accessKey());
        env.put("AWS_SECRET_ACCESS_KEY", s3.secretKey());
        env.put("AWS_DEFAULT_REGION", S3Endpoint.REGION);
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("FLEET_BUCKET", bucket);
        env.put("FLEET_PREFIX", prefix);
        env.put("FLEET_APP", app);
        env.put("FLEET_GROUP", group);
        env.put("FLEET_INSTANCE_ID", instanceId);
        env.put("FLEET_CHANNEL", "prod");
        env.put("FLEET_HOME", home.toString());
        env.put("FLEET_S3_ENDPOINT", s3.endpoint().toString());
        env.put("FLEET_AWS", awsWrapper.toString());
        env.put("FLEET_HOOK_TIMEOUT", "20");
        env.put("FLEET_S3_CLIENT", "cli");
    }

    /** The S3 clients the agent can use: FLEET_S3_CLIENT=cli, and auto, which picks curl here. */
    static Stream<String> s3Clients() {
        return Stream.of("cli", "auto");
    }

    /** Runs the following commands with FLEET_S3_CLIENT=<client> (the harness's default is cli). */
    AgentHarness s3Client(String client) {
        return env("FLEET_S3_CLIENT", client);
    }

    /** A secret the agent must never show in an argv, its output or a file under FLEET_HOME. */
    AgentHarness secret(String value) {
        secrets.add(value);
        return this;
    }

    /**
     * Makes the curl wrapper note, for each signed request, whether curl's config on stdin carries
     * exactly this session token (the S3 endpoint under test does not check tokens). The token is
     * compared inside the wrapper and never logged.
     */
    AgentHarness expectSessionToken(String token) throws IOException {
        writeCurlWrapper(token);
        return secret(token);
    }

    private void writeCurlWrapper(String expectedToken) throws IOException {
        StringBuilder script = new StringBuilder("#!/bin/sh\nprintf 'curl %s\\n' \"$*\" >> '" + callLog + "'\n");
        if (expectedToken != null) {
            script.append("case \"$*\" in *--aws-sigv4*) ;; *) exec ").append(CURL).append(" \"$@\" ;; esac\n")
                    .append("config=$(cat)\n")
                    .append("case $config in *'X-Amz-Security-Token: ").append(expectedToken)
                    .append("'*) echo 'session token: sent' ;; *) echo 'session token: missing' ;; esac >> '")
                    .append(callLog).append("'\n")
                    .append("printf '%s\\n' \"$config\" | exec ").append(CURL).append(" \"$@\"\n");
        } else {
            script.append("exec ").append(CURL).append(" \"$@\"\n");
        }
        writeScript(curlWrapper, script.toString());
    }

    /** Puts a curl first on PATH that reports this version and does nothing else (it logs its runs). */
    AgentHarness curlReportingVersion(String version) throws IOException {
        writeScript(curlWrapper, "#!/bin/sh\nprintf 'curl %s\\n' \"$*\" >> '" + callLog + "'\n"
                + "[ \"$1\" = --version ] && echo 'curl " + version + " (x86_64-pc-linux-gnu) libcurl/" + version + "' && exit 0\n"
                + "exit 2\n");
        return this;
    }

    private static void writeScript(Path path, String text) throws IOException {
        Files.writeString(path, text);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    record Result(int exitCode, String stdout, String stderr) {

        Result assertSucceeded() {
            assertThat(exitCode).as("exit code; stderr: %s", stderr).isZero();
            return this;
        }

        /** The agent's last stderr line: the one-line outcome of a failed run. */
        String lastErrorLine() {
            String[] lines = stderr.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    Path home() {
        return home;
    }

    String keyPrefix() {
        return (prefix.isEmpty() ? "" : prefix + "/") + app + "/";
    }

    /** Sets (or, with null, removes) an environment variable for the following runs. */
    AgentHarness env(String name, String value) {
        if (value == null) {
            env.remove(name);
        } else {
            env.put(name, value);
        }
        return this;
    }

    Result run(String... args) throws Exception {
        Process process = start(args);
        return finish(process, args);
    }

    Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(shell);
        command.add(SCRIPT.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
        builder.environment().clear();
        builder.environment().putAll(env);
        return builder.start();
    }

    /**
     * Waits (bounded) for a run and collects its output. Output that stays open after the agent
     * exited means something it started (a hook's daemon) still holds the caller's pipes: that
     * would hang SSM or a CI step, so it fails the test.
     */
    Result finish(Process process, String... args) throws Exception {
        CompletableFuture<String> stdout = readInBackground(process.getInputStream());
        CompletableFuture<String> stderr = readInBackground(process.getErrorStream());
        String run = "fleet-agent.sh " + String.join(" ", args);
        if (!process.waitFor(RUN_DEADLINE_SECONDS, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError(run + " did not finish within " + RUN_DEADLINE_SECONDS + " s");
        }
        Result result;
        try {
            result = new Result(process.exitValue(), stdout.get(OUTPUT_GRACE_SECONDS, TimeUnit.SECONDS),
                    stderr.get(OUTPUT_GRACE_SECONDS, TimeUnit.SECONDS));
        } catch (TimeoutException e) {
            throw new AssertionError(run + " exited, but a process it started still holds its stdout or stderr open", e);
        }
        for (String secret : secrets) {
            assertThat(result.stdout() + result.stderr())
                    .as("nothing the agent prints may contain a secret").doesNotContain(secret);
            assertThat(rawCalls()).as("no argv of the AWS CLI or curl may contain a secret")
                    .noneSatisfy(call -> assertThat(call).contains(secret));
        }
        return result;
    }

    private static CompletableFuture<String> readInBackground(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(e);
            }
        }, "agent-output-reader");
        reader.setDaemon(true);
        reader.start();
        return text;
    }

    // --- publishing, in the formats of the contract ---

    /** Builds the bundle with tar, uploads bundle.tar.gz and manifest.json; returns the bundle's sha256. */
    String publish(Release release) throws Exception {
        Path source = Files.createDirectories(root.resolve("build").resolve(release.version()));
        for (Map.Entry<String, String> file : release.files().entrySet()) {
            Path path = source.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue());
            if (file.getKey().startsWith("hooks/") && !release.plainHooks().contains(file.getKey())) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        Path bundle = root.resolve("build").resolve(release.version() + ".tar.gz");
        Process tar = new ProcessBuilder("tar", "-czf", bundle.toString(), "-C", source.toString(), ".")
                .redirectErrorStream(true).start();
        String tarOutput = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor(30, TimeUnit.SECONDS)).as("tar finishes").isTrue();
        assertThat(tar.exitValue()).as("tar -czf: " + tarOutput).isZero();

        byte[] bytes = Files.readAllBytes(bundle);
        String sha256 = sha256(bytes);
        String bundleKey = keyPrefix() + "releases/" + release.version() + "/bundle.tar.gz";
        String etag = s3.client().putObject(p -> p.bucket(bucket).key(bundleKey), RequestBody.fromBytes(bytes)).eTag();

        ObjectNode manifest = json.createObjectNode()
                .put("app", app)
                .put("version", release.version())
                .put("sha256", release.manifestSha256() == null ? sha256 : release.manifestSha256())
                .put("size", bytes.length)
                .put("created", Instant.now().toString())
                .put("gitCommit", "0123456789abcdef0123456789abcdef01234567")
                .put("buildUrl", "https://ci.example/job/shop/42/")
                .put("schemaKey", "k-" + release.version())
                .put("migrations", "db/migration")
                .put("bundleKey", bundleKey)
                .put("etag", etag); // versionId: left out, as core's mapper (NON_NULL) does for an unversioned bucket
        String text = release.prettyManifest()
                ? json.writerWithDefaultPrettyPrinter().writeValueAsString(manifest)
                : json.writeValueAsString(manifest);
        putText(keyPrefix() + "releases/" + release.version() + "/manifest.json", text);
        return sha256;
    }

    /** Moves the channel pointer "prod" (pretty-printed, as Jackson's default printer writes it). */
    void pointChannel(String version, String sha256, String previousVersion, String previousSha256) throws IOException {
        ObjectNode pointer = json.createObjectNode()
                .put("version", version)
                .put("sha256", sha256)
                .put("etag", "\"e-" + version + "\"")
                .put("updated", Instant.now().toString())
                .put("updatedBy", "https://ci.example/job/shop/43/");
        if (previousVersion != null) {
            pointer.putObject("previous").put("version", previousVersion).put("sha256", previousSha256);
        }
        putText(keyPrefix() + "channels/prod.json", json.writerWithDefaultPrettyPrinter().writeValueAsString(pointer));
    }

    void putText(String key, String text) {
        s3.client().putObject(p -> p.bucket(bucket).key(key).contentType("application/json"),
                RequestBody.fromString(text, StandardCharsets.UTF_8));
    }

    // --- observing the outcome ---

    private String statusKey() {
        return keyPrefix() + "status/" + group + "/" + instanceId + ".json";
    }

    /** The instance's status object in S3, or null when none was written. */
    JsonNode status() throws IOException {
        try {
            byte[] bytes = s3.client().getObjectAsBytes(g -> g.bucket(bucket).key(statusKey())).asByteArray();
            return json.readTree(bytes);
        } catch (NoSuchKeyException e) {
            return null;
        }
    }

    void deleteStatus() {
        s3.client().deleteObject(d -> d.bucket(bucket).key(statusKey()));
    }

    /** Version current points at, or null. */
    String current() throws IOException {
        Path current = home.resolve("current");
        if (!Files.isSymbolicLink(current)) {
            return null;
        }
        return Files.readSymbolicLink(current).getFileName().toString();
    }

    List<String> releasesOnDisk() throws IOException {
        Path releases = home.resolve("releases");
        if (!Files.isDirectory(releases)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(releases)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Scratch files, temporary links and locks: a finished run leaves none of them. */
    List<String> leftovers() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> top = Files.list(home)) {
            top.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".current.")).forEach(found::add);
        }
        Path state = home.resolve(".fleet");
        if (Files.isDirectory(state)) {
            try (Stream<Path> list = Files.list(state)) {
                list.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith("tmp.") || n.startsWith("lock") || n.endsWith(".tmp"))
                        .forEach(found::add);
            }
        }
        return found;
    }

    /** Lines of FLEET_HOME/hooks.log, written by the test releases' hooks. */
    List<String> hookLog() throws IOException {
        Path log = home.resolve("hooks.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    /**
     * The S3 requests made so far, one line each, in the CLI's words whichever client made them:
     * an AWS CLI run as its arguments; a signed curl request as "curl get-object|put-object
     * [--if-none-match] <url>". Instance metadata requests are not S3 calls and are left out.
     */
    List<String> s3Calls() throws IOException {
        List<String> calls = new ArrayList<>();
        for (String line : rawCalls()) {
            if (line.startsWith("aws ")) {
                calls.add(line.substring(4));
            } else if (line.startsWith("curl ") && line.contains("--aws-sigv4")) {
                String url = line.substring(line.lastIndexOf(' ') + 1);
                calls.add("curl " + (line.contains("-X PUT") ? "put-object" : "get-object")
                        + (line.contains("If-None-Match:") ? " --if-none-match " : " ") + url);
            }
        }
        return calls;
    }

    /** Every S3 request so far was made by this FLEET_S3_CLIENT: cli the AWS CLI, auto and curl curl. */
    void assertS3CallsMadeBy(String client) throws IOException {
        assertThat(s3Calls()).as("S3 calls with FLEET_S3_CLIENT=%s", client).isNotEmpty()
                .allSatisfy(call -> assertThat(call.startsWith("curl ")).as(call).isEqualTo(!client.equals("cli")));
    }

    /** Every line the wrappers logged: "aws <args>", "curl <args>" (also IMDS requests), wrapper notes. */
    List<String> rawCalls() throws IOException {
        return Files.exists(callLog) ? Files.readAllLines(callLog) : List.of();
    }

    void forgetS3Calls() throws IOException {
        Files.deleteIfExists(callLog);
    }

    /** Every file the agent wrote to FLEET_HOME, for the "no secret on disk" check. */
    void assertNoSecretOnDisk() throws IOException {
        try (Stream<Path> files = Files.walk(home)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String content = Files.readString(file, StandardCharsets.ISO_8859_1);
                for (String secret : secrets) {
                    assertThat(content).as("contents of %s", file).doesNotContain(secret);
                }
            }
        }
    }

    static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
