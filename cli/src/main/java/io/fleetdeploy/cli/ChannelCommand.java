package io.fleetdeploy.cli;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.release.Channel;
import io.fleetdeploy.core.release.ChannelMove;
import io.fleetdeploy.core.release.ChannelPointer;
import io.fleetdeploy.core.release.ChannelUpdate;
import io.fleetdeploy.core.release.Releases;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "channel", mixinStandardHelpOptions = true,
        description = "Reads or moves a channel pointer (<app>/channels/<name>.json).",
        subcommands = {ChannelCommand.Get.class, ChannelCommand.Set.class})
final class ChannelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ParentCommand
    FleetDeployCli root;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: get or set.");
    }

    abstract static class ChannelSubcommand implements Callable<Integer> {

        @ParentCommand
        ChannelCommand parent;

        @Spec
        CommandSpec spec;

        @Mixin
        ReleaseTarget target;

        @Option(names = "--channel", required = true, paramLabel = "CHANNEL")
        String channel;

        Output output() {
            return new Output(spec.commandLine().getOut(), parent.root.json());
        }

        Releases connect() {
            return Releases.connect(parent.root.awsSettings(), target.layout(), new CliProgress(spec.commandLine().getErr()));
        }

        void print(ChannelPointer pointer) {
            Output output = output();
            if (output.json()) {
                output.json(pointer);
            } else {
                output.line(channel + " -> " + pointer.version() + " (sha256 " + pointer.sha256() + ", by " + pointer.updatedBy()
                        + " at " + pointer.updated() + (pointer.previous() != null ? ", was " + pointer.previous().version() : "") + ")");
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Prints the version a channel points at.")
    static final class Get extends ChannelSubcommand {
        @Override
        public Integer call() {
            try (Releases releases = connect()) {
                Channel found = releases.channel(channel).orElseThrow(() -> new FleetDeployException(
                        "Channel " + channel + " of " + target.app + " does not exist (no " + releases.layout().uri(releases.layout().channelKey(channel)) + ").",
                        "Nothing was changed.", "Create it with: fleet-deploy channel set --channel " + channel + " --version V"));
                print(found.pointer());
                if (!output().json()) {
                    output().line("pointer ETag " + found.objectEtag() + " (for set --expect-etag)");
                }
                return 0;
            }
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Points a channel at a published version (compare-and-set; the old value is kept as previous).")
    static final class Set extends ChannelSubcommand {

        @Option(names = "--version", required = true, paramLabel = "VERSION")
        String version;

        @Option(names = "--retry", description = "When another writer moves the channel first, try again from its new state instead of failing.")
        boolean retry;

        @Option(names = "--expect-etag", paramLabel = "ETAG",
                description = "Move only from this pointer state (the pointer object's ETag, as `channel get` saw it).")
        String expectEtag;

        @Option(names = "--updated-by", paramLabel = "WHO", description = "Recorded in the pointer (default: $BUILD_URL or user@host).")
        String updatedBy;

        @Mixin
        EncryptionOptions sse;

        @Override
        public Integer call() {
            ChannelUpdate update = new ChannelUpdate(channel, version, updatedBy != null ? updatedBy : Output.whoAmI(), expectEtag, retry, sse.encryption());
            try (Releases releases = connect()) {
                ChannelMove move = releases.setChannel(update);
                print(move.pointer());
                return 0;
            }
        }
    }
}
