package io.fleetdeploy.cli;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.release.Channel;
import io.fleetdeploy.core.release.Manifest;
import io.fleetdeploy.core.release.PruneResult;
import io.fleetdeploy.core.release.ReleaseListing;
import io.fleetdeploy.core.release.Releases;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "releases", mixinStandardHelpOptions = true,
        description = "Lists, shows, downloads and prunes an app's releases.",
        subcommands = {
            ReleasesCommand.ListReleases.class,
            ReleasesCommand.Show.class,
            ReleasesCommand.Download.class,
            ReleasesCommand.Prune.class,
        })
final class ReleasesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ParentCommand
    FleetDeployCli root;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: list, show, download or prune.");
    }

    /** The plumbing every subcommand shares: its target, output and a connected {@link Releases}. */
    abstract static class ReleasesSubcommand implements Callable<Integer> {

        @ParentCommand
        ReleasesCommand parent;

        @Spec
        CommandSpec spec;

        @Mixin
        ReleaseTarget target;

        Output output() {
            return new Output(spec.commandLine().getOut(), parent.root.json());
        }

        Releases connect() {
            return Releases.connect(parent.root.awsSettings(), target.layout(), new CliProgress(spec.commandLine().getErr()));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Published releases, newest first, with the channels on them.")
    static final class ListReleases extends ReleasesSubcommand {

        record Listed(String version, Instant published, List<String> channels) {
        }

        record Listing(List<Listed> releases, List<String> incomplete) {
        }

        @Override
        public Integer call() {
            try (Releases releases = connect()) {
                ReleaseListing listing = releases.list();
                Map<String, List<String>> channelsOn = new TreeMap<>();
                for (Channel channel : releases.channels()) {
                    channelsOn.computeIfAbsent(channel.pointer().version(), v -> new ArrayList<>()).add(channel.name());
                }
                List<Listed> listed = listing.releases().stream()
                        .map(r -> new Listed(r.version(), r.published(), channelsOn.getOrDefault(r.version(), List.of())))
                        .toList();
                Output output = output();
                if (output.json()) {
                    output.json(new Listing(listed, listing.incomplete()));
                    return 0;
                }
                for (Listed release : listed) {
                    output.line(release.version() + "\t" + release.published()
                            + (release.channels().isEmpty() ? "" : "\t" + String.join(",", release.channels())));
                }
                if (!listing.incomplete().isEmpty()) {
                    output.line("Incomplete (bundle without manifest, not published): " + String.join(", ", listing.incomplete()));
                }
                return 0;
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Prints a release's manifest.")
    static final class Show extends ReleasesSubcommand {

        @Option(names = "--version", required = true, paramLabel = "VERSION")
        String version;

        @Override
        public Integer call() {
            try (Releases releases = connect()) {
                Manifest manifest = releases.requireManifest(version);
                // The manifest is JSON either way; --json only promises nothing else is printed.
                output().json(manifest);
                return 0;
            }
        }
    }

    @Command(name = "download", mixinStandardHelpOptions = true,
            description = "Downloads a release's bundle and verifies its sha256 against the manifest.")
    static final class Download extends ReleasesSubcommand {

        @Option(names = "--version", required = true, paramLabel = "VERSION")
        String version;

        @Option(names = "--to", required = true, paramLabel = "FILE", description = "Where to write bundle.tar.gz.")
        Path to;

        @Override
        public Integer call() {
            try (Releases releases = connect()) {
                Manifest manifest = releases.downloadBundle(version, to);
                Output output = output();
                if (output.json()) {
                    output.json(manifest);
                } else {
                    output.line("Downloaded " + manifest.app() + " " + manifest.version() + " to " + to + " (sha256 " + manifest.sha256() + " verified)");
                }
                return 0;
            }
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = "Deletes old releases: keeps the newest N and every release a channel points at (or pointed at before its last move).")
    static final class Prune extends ReleasesSubcommand {

        @Option(names = "--keep", required = true, paramLabel = "N", description = "How many of the newest releases to keep (at least 1).")
        int keep;

        @Option(names = "--dry-run", description = "Only print what would be deleted.")
        boolean dryRun;

        @Override
        public Integer call() {
            if (keep < 1) {
                throw FleetDeployException.invalidInput("--keep must be at least 1, was " + keep + ".", "Give --keep N with N >= 1.");
            }
            try (Releases releases = connect()) {
                PruneResult result = releases.prune(keep, dryRun);
                Output output = output();
                if (output.json()) {
                    output.json(result);
                } else {
                    output.line((dryRun ? "Would delete: " : "Deleted: ") + (result.deleted().isEmpty() ? "nothing" : String.join(", ", result.deleted())));
                    output.line("Kept: " + String.join(", ", result.kept()));
                }
                return 0;
            }
        }
    }
}
