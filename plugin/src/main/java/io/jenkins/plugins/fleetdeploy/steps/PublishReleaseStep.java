package io.jenkins.plugins.fleetdeploy.steps;

import hudson.EnvVars;
import hudson.Extension;
import hudson.FilePath;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.release.ChannelMove;
import io.fleetdeploy.core.release.Encryption;
import io.fleetdeploy.core.release.Manifest;
import io.fleetdeploy.core.release.PublishRequest;
import io.fleetdeploy.core.release.PublishResult;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import io.jenkins.plugins.fleetdeploy.FleetConnection;
import io.jenkins.plugins.fleetdeploy.FleetOperationRecord;
import io.jenkins.plugins.fleetdeploy.FleetSettings;
import io.jenkins.plugins.fleetdeploy.FleetSummaryAction;
import io.jenkins.plugins.fleetdeploy.ListenerProgress;
import io.jenkins.plugins.fleetdeploy.StepFailures;
import io.jenkins.plugins.fleetdeploy.Workspaces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.jenkinsci.plugins.workflow.steps.SynchronousNonBlockingStepExecution;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;

/**
 * {@code def r = publishRelease path: 'build/dist', version: env.VERSION, channel: 'staging'}:
 * uploads a workspace directory (packed into a deterministic bundle) or a .tar.gz as an immutable,
 * checksummed release. Publishing the same bytes again is a no-op; other bytes under a published
 * version are refused. Returns a map: version, sha256, size, bucket, bundleKey, manifestKey,
 * alreadyPublished, channel, channelMoved, previousVersion.
 */
public final class PublishReleaseStep extends FleetStep {

    private final String path;
    private final String version;
    private String channel;
    private String schemaKey;
    private String gitCommit;
    private String migrations;
    private String sse;
    private String kmsKeyId;

    @DataBoundConstructor
    public PublishReleaseStep(String path, String version) {
        this.path = path;
        this.version = version;
    }

    public String getPath() {
        return path;
    }

    public String getVersion() {
        return version;
    }

    public String getChannel() {
        return channel;
    }

    @DataBoundSetter
    public void setChannel(String channel) {
        this.channel = channel;
    }

    public String getSchemaKey() {
        return schemaKey;
    }

    @DataBoundSetter
    public void setSchemaKey(String schemaKey) {
        this.schemaKey = schemaKey;
    }

    public String getGitCommit() {
        return gitCommit;
    }

    @DataBoundSetter
    public void setGitCommit(String gitCommit) {
        this.gitCommit = gitCommit;
    }

    public String getMigrations() {
        return migrations;
    }

    @DataBoundSetter
    public void setMigrations(String migrations) {
        this.migrations = migrations;
    }

    public String getSse() {
        return sse;
    }

    @DataBoundSetter
    public void setSse(String sse) {
        this.sse = sse;
    }

    public String getKmsKeyId() {
        return kmsKeyId;
    }

    @DataBoundSetter
    public void setKmsKeyId(String kmsKeyId) {
        this.kmsKeyId = kmsKeyId;
    }

    @Override
    public StepExecution start(StepContext context) throws Exception {
        return new Execution(context, this);
    }

    /**
     * One upload, on a background thread. After a controller restart it fails instead of resuming;
     * running the build again is safe because publishing the same bytes is a no-op.
     */
    static final class Execution extends SynchronousNonBlockingStepExecution<Map<String, Object>> {

        private static final long serialVersionUID = 1L;

        private final transient PublishReleaseStep step;

        Execution(StepContext context, PublishReleaseStep step) {
            super(context);
            this.step = step;
        }

        @Override
        protected Map<String, Object> run() throws Exception {
            StepContext context = getContext();
            Run<?, ?> run = context.get(Run.class);
            EnvVars env = context.get(EnvVars.class);
            long started = System.currentTimeMillis();
            FleetSettings settings = FleetSteps.effective(context, step);
            try {
                Encryption encryption = validate();
                FilePath source = Workspaces.existing(context.get(FilePath.class), step.path, "path");
                try (FleetConnection connection = FleetSteps.connect(context, settings)) {
                    S3Layout layout = connection.layout();
                    Path local = Files.createTempDirectory("fleet-deploy-publish-");
                    try {
                        String buildUrl = env.get("BUILD_URL");
                        PublishRequest request = new PublishRequest(Workspaces.copyToController(source, local), step.version,
                                step.channel, step.schemaKey, step.gitCommit != null ? step.gitCommit : env.get("GIT_COMMIT"),
                                buildUrl, step.migrations, encryption, buildUrl);
                        PublishResult result;
                        try (Releases releases = Releases.connect(connection.s3(), layout,
                                new ListenerProgress(context.get(TaskListener.class)))) {
                            result = releases.publish(request);
                        }
                        record(run, started, layout, result, null);
                        return toMap(layout, result);
                    } finally {
                        Workspaces.deleteRecursively(local);
                    }
                }
            } catch (FleetDeployException e) {
                record(run, started, null, null, e);
                throw StepFailures.abort(e);
            }
        }

        /** Checks the arguments that need no request before anything is read or uploaded; the engine checks the rest. */
        private Encryption validate() {
            if (step.path == null || step.path.isBlank()) {
                throw FleetDeployException.invalidInput("publishRelease needs path: the directory or .tar.gz to publish.",
                        "Pass path: 'build/dist' (relative to the workspace).");
            }
            Names.requireSafe("version", step.version);
            if (step.channel != null) {
                Names.requireSafe("channel", step.channel);
            }
            if (step.schemaKey != null) {
                Names.requireSafe("schema key", step.schemaKey);
            }
            return Encryption.of(step.sse, step.kmsKeyId);
        }

        private void record(Run<?, ?> run, long started, S3Layout layout, PublishResult result, FleetDeployException failure)
                throws IOException {
            String outcome = failure != null ? "FAILED" : result.alreadyPublished() ? "UNCHANGED" : "SUCCEEDED";
            String detail = failure != null ? failure.getMessage()
                    : (result.alreadyPublished() ? "already published with the same bytes, " : "published, ")
                            + "sha256 " + result.manifest().sha256()
                            + (result.channelMove() != null ? "; channel " + result.channelMove().channel()
                                    + (result.channelMove().moved() ? " moved" : " already there") : "");
            String target = layout != null ? layout.uri(layout.manifestKey(step.version)) : step.version;
            FleetSummaryAction.record(run, new FleetOperationRecord("publishRelease", target, step.version, outcome,
                    detail, started, System.currentTimeMillis() - started, List.of()));
        }

        private static Map<String, Object> toMap(S3Layout layout, PublishResult result) {
            Manifest m = result.manifest();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("app", m.app());
            out.put("version", m.version());
            out.put("sha256", m.sha256());
            out.put("size", m.size());
            out.put("bucket", layout.bucket());
            out.put("bundleKey", m.bundleKey());
            out.put("manifestKey", layout.manifestKey(m.version()));
            out.put("bundleUri", layout.uri(m.bundleKey()));
            out.put("alreadyPublished", result.alreadyPublished());
            ChannelMove move = result.channelMove();
            if (move != null) {
                out.put("channel", move.channel());
                out.put("channelMoved", move.moved());
                out.put("previousVersion", move.pointer().previous() != null ? move.pointer().previous().version() : null);
            }
            return out;
        }
    }

    @Extension
    @Symbol("publishRelease")
    public static final class DescriptorImpl extends FleetStepDescriptor {

        @Override
        public String getFunctionName() {
            return "publishRelease";
        }

        @Override
        public String getDisplayName() {
            return "Publish a build as an immutable fleet release";
        }

        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(Run.class, TaskListener.class, EnvVars.class, FilePath.class);
        }

        public FormValidation doCheckVersion(@QueryParameter String value) {
            if (value == null || value.isBlank()) {
                return FormValidation.error("Required: the version to publish, e.g. 1.4.2 or ${BUILD_NUMBER}.");
            }
            return checkName("version", value);
        }

        public FormValidation doCheckChannel(@QueryParameter String value) {
            return checkName("channel", value);
        }

        public FormValidation doCheckSchemaKey(@QueryParameter String value) {
            return checkName("schema key", value);
        }

        public ListBoxModel doFillSseItems() {
            ListBoxModel items = new ListBoxModel();
            items.add("Bucket default", "");
            items.add("AES256 (S3-managed keys)", "AES256");
            items.add("aws:kms", "aws:kms");
            return items;
        }

        public FormValidation doCheckPath(@QueryParameter String value) {
            return value == null || value.isBlank()
                    ? FormValidation.error("Required: the directory or .tar.gz to publish, relative to the workspace.")
                    : FormValidation.ok();
        }
    }
}
