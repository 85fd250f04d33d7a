package io.fleetdeploy.sandbox.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The Debian AWS CLI (/usr/bin/aws) run against the endpoint with only the given credentials. */
final class AwsCli {

    static final Path AWS = Path.of("/usr/bin/aws");

    record Result(int exitCode, String stdout, String stderr) {
        JsonNode json() throws IOException {
            return new ObjectMapper().readTree(stdout);
        }
    }

    private final URI endpoint;
    private final String region;

    AwsCli(URI endpoint, String region) {
        this.endpoint = endpoint;
        this.region = region;
    }

    Result run(Credential credential, String... args) throws IOException, InterruptedException {
        if (!Files.isExecutable(AWS)) {
            throw new IllegalStateException("/usr/bin/aws is missing: install the Debian package awscli (apt-get install -y awscli)");
        }
        List<String> command = new ArrayList<>(List.of(AWS.toString(), "--endpoint-url", endpoint.toString(),
                "--region", region, "--output", "json", "--no-cli-pager"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> name.startsWith("AWS_"));
        env.put("AWS_ACCESS_KEY_ID", credential.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", credential.secretAccessKey());
        credential.sessionToken().ifPresent(token -> env.put("AWS_SESSION_TOKEN", token));
        env.put("AWS_CONFIG_FILE", "/nonexistent/aws-config");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_MAX_ATTEMPTS", "1");
        Path out = Files.createTempFile("aws-cli", ".out");
        Path err = Files.createTempFile("aws-cli", ".err");
        try {
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("aws " + String.join(" ", args) + " did not finish within 60 s");
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
