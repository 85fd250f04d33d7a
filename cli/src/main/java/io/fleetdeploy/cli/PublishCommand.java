package io.fleetdeploy.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.release.Manifest;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.PublishResult;
import io.fleetdeploy.core.release.Releases;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {
            "Publishes a build as an immutable release: a directory is packed into a deterministic bundle.tar.gz,"
                    + " a file is uploaded as it is. The same bytes again are a no-op; other bytes under a published"
                    + " version are refused.",
            "Prints the manifest with --json."})
final class PublishCommand implements Callable<Integer> {

    @ParentCommand
    FleetDeployCli root;

    @Spec
    CommandSpec spec;

    @Mixin
    ReleaseTarget target;

    @Mixin
    EncryptionOptions sse;

    @Option(names = "--version", required = true, paramLabel = "VERSION", description = "Release version ([A-Za-z0-9][A-Za-z0-9._-]{0,127}).")
    String version;

    @Option(names = "--channel", paramLabel = "CHANNEL", description = "Point this channel at the release once it is published.")
    String channel;

    @Option(names = "--schema-key", paramLabel = "KEY", description = "Schema key the release's code expects.")
    String schemaKey;

    @Option(names = "--git-commit", paramLabel = "SHA", description = "Commit the build was made from.")
    String gitCommit;

    @Option(names = "--build-url", paramLabel = "URL", description = "URL of the build that made the bundle.")
    String buildUrl;

    @Option(names = "--migrations", paramLabel = "PATH", description = "Where the migrations are inside the bundle (default: db/migration).")
    String migrations;

    @Parameters(index = "0", paramLabel = "PATH", description = "Build output directory, or a ready .tar.gz file.")
    Path path;

    @Override
    public Integer call() {
        Output output = new Output(spec.commandLine().getOut(), root.json());
        PublishRequest request = new PublishRequest(path, version, channel, schemaKey, gitCommit, buildUrl, migrations,
                sse.encryption(), Output.whoAmI());
        try (Releases releases = Releases.connect(root.awsSettings(), target.layout(),
                new CliProgress(spec.commandLine().getErr()))) {
            PublishResult result = releases.publish(request);
            Manifest manifest = result.manifest();
            if (output.json()) {
                ObjectNode json = Json.mapper().valueToTree(manifest);
                json.put("alreadyPublished", result.alreadyPublished());
                if (result.channelMove() != null) {
                    json.put("channel", result.channelMove().channel());
                }
                output.json(json);
            } else {
                output.line((result.alreadyPublished() ? "Already published: " : "Published: ") + manifest.app() + " "
                        + manifest.version() + " sha256 " + manifest.sha256() + " (" + manifest.size() + " bytes) at "
                        + releases.layout().uri(manifest.bundleKey()));
                if (result.channelMove() != null) {
                    output.line("Channel " + result.channelMove().channel() + " -> " + manifest.version());
                }
            }
            return 0;
        }
    }
}
