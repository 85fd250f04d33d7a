package io.fleetdeploy.core.release;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What to publish. The bucket, prefix and app come with the {@link Releases} it is given to.
 *
 * @param path       a directory (packed into a deterministic bundle.tar.gz) or a ready .tar.gz file
 * @param channel    null, or a channel to point at the release once it is published
 * @param schemaKey  null, or the schema key the release's code expects
 * @param migrations where migrations are inside the bundle; null means {@value Manifest#DEFAULT_MIGRATIONS}
 * @param publishedBy who publishes (build URL, user@host); recorded in a channel pointer it moves
 */
public record PublishRequest(
        Path path,
        String version,
        String channel,
        String schemaKey,
        String gitCommit,
        String buildUrl,
        String migrations,
        Encryption encryption,
        String publishedBy) {

    public PublishRequest {
        migrations = migrations == null || migrations.isBlank() ? Manifest.DEFAULT_MIGRATIONS : migrations;
        encryption = encryption == null ? Encryption.BUCKET_DEFAULT : encryption;
        publishedBy = publishedBy == null || publishedBy.isBlank() ? "fleet-deploy" : publishedBy;
    }

    /** A request with only the required parts; the others are null or defaults. */
    public static PublishRequest of(Path path, String version) {
        return new PublishRequest(path, version, null, null, null, null, null, null, null);
    }

    public PublishRequest withChannel(String newChannel) {
        return new PublishRequest(path, version, newChannel, schemaKey, gitCommit, buildUrl, migrations, encryption, publishedBy);
    }

    public PublishRequest withMetadata(String newSchemaKey, String newGitCommit, String newBuildUrl) {
        return new PublishRequest(path, version, channel, newSchemaKey, newGitCommit, newBuildUrl, migrations, encryption, publishedBy);
    }

    public PublishRequest withEncryption(Encryption newEncryption) {
        return new PublishRequest(path, version, channel, schemaKey, gitCommit, buildUrl, migrations, newEncryption, publishedBy);
    }

    public PublishRequest withPublishedBy(String newPublishedBy) {
        return new PublishRequest(path, version, channel, schemaKey, gitCommit, buildUrl, migrations, encryption, newPublishedBy);
    }

    /** Checks everything that can be checked without a request; throws before anything changes. */
    void validate() {
        Names.requireSafe("version", version);
        if (channel != null) {
            Names.requireSafe("channel", channel);
        }
        if (schemaKey != null) {
            Names.requireSafe("schema key", schemaKey);
        }
        if (gitCommit != null && !gitCommit.matches("[A-Za-z0-9._/-]{1,128}")) {
            throw FleetDeployException.invalidInput("The git commit '" + printable(gitCommit) + "' is not a commit id.",
                    "Give the commit's hash (letters, digits, '.', '_', '/', '-'; at most 128 characters).");
        }
        if (buildUrl != null) {
            requireHttpUrl(buildUrl);
        }
        if (!migrations.matches("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*") || migrations.contains("..")) {
            throw FleetDeployException.invalidInput("The migrations path '" + printable(migrations) + "' is not a relative path inside the bundle.",
                    "Give a path like db/migration (letters, digits, '.', '_', '-', separated by '/').");
        }
        Objects.requireNonNull(path, "path");
        if (!Files.exists(path)) {
            throw FleetDeployException.invalidInput("The path to publish, " + path.toAbsolutePath() + ", does not exist.",
                    "Give the build's output directory or a .tar.gz file.");
        }
        if (!Files.isReadable(path) || Files.isDirectory(path) && !Files.isExecutable(path)) {
            throw FleetDeployException.invalidInput("The path to publish, " + path.toAbsolutePath() + ", is not readable.",
                    "Fix its permissions or run as a user who can read it.");
        }
        if (!Files.isDirectory(path) && !Files.isRegularFile(path)) {
            throw FleetDeployException.invalidInput("The path to publish, " + path.toAbsolutePath() + ", is neither a file nor a directory.",
                    "Give the build's output directory or a .tar.gz file.");
        }
    }

    private static void requireHttpUrl(String url) {
        try {
            URI uri = new URI(url);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null && url.length() <= 2048) {
                return;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw FleetDeployException.invalidInput("The build URL '" + printable(url) + "' is not an http(s) URL.",
                "Give the URL of the build that made the bundle (e.g. Jenkins' BUILD_URL), or leave it out.");
    }

    private static String printable(String value) {
        String shortened = value.length() > 140 ? value.substring(0, 140) + "..." : value;
        return shortened.replaceAll("\\p{Cntrl}", "?");
    }
}
