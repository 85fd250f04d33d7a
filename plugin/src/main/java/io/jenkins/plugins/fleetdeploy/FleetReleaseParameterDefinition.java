package io.jenkins.plugins.fleetdeploy;

import com.cloudbees.jenkins.plugins.awscredentials.AmazonWebServicesCredentials;
import hudson.Extension;
import hudson.model.Item;
import hudson.model.ParameterValue;
import hudson.model.StringParameterDefinition;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Names;
import io.fleetdeploy.core.ProgressListener;
import io.fleetdeploy.core.release.ReleaseSummary;
import io.fleetdeploy.core.release.Releases;
import io.jenkins.plugins.fleetdeploy.steps.FleetStepDescriptor;
import java.util.List;
import org.jenkinsci.Symbol;
import org.kohsuke.stapler.AncestorInPath;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;

/**
 * Build parameter {@code fleetRelease}: the build form offers the app's published releases,
 * newest first, and still takes any typed version when the bucket cannot be listed (no access,
 * no network); the value is the version, checked like every name fleet-deploy puts in a key.
 *
 * <pre>
 * properties([parameters([fleetRelease(name: 'VERSION', app: 'shop', bucket: 'acme-releases',
 *                                      region: 'eu-west-1', credentialsId: 'deployer')])])
 * </pre>
 */
public class FleetReleaseParameterDefinition extends StringParameterDefinition {

    private static final long serialVersionUID = 1L;
    private static final int DEFAULT_LIMIT = 30;

    private String app;
    private String bucket;
    private String prefix;
    private String region;
    private String endpoint;
    private String s3Endpoint;
    private String credentialsId;
    private String roleArn;
    private int limit = DEFAULT_LIMIT;

    @DataBoundConstructor
    public FleetReleaseParameterDefinition(String name) {
        super(name);
    }

    /** The releases the form offers, or why none could be listed; never throws. */
    public ReleaseChoices releaseChoices(Item context) {
        FleetSettings settings = FleetSettings.builder().app(app).bucket(bucket).prefix(prefix).region(region)
                .endpoint(endpoint).s3Endpoint(s3Endpoint).credentialsId(credentialsId).roleArn(roleArn).build();
        try (FleetConnection connection = FleetConnection.forItem(settings, context);
             Releases releases = Releases.connect(connection.s3(), connection.layout(), ProgressListener.NONE)) {
            List<String> versions = releases.list().releases().stream()
                    .limit(Math.max(1, limit))
                    .map(ReleaseSummary::version)
                    .toList();
            return new ReleaseChoices(versions, null);
        } catch (FleetDeployException e) {
            return new ReleaseChoices(List.of(), e.getMessage());
        } catch (RuntimeException e) {
            // The form still works without the list: say why, and let the version be typed.
            return new ReleaseChoices(List.of(), "Could not list the releases: " + e.getClass().getSimpleName()
                    + (e.getMessage() != null ? ": " + e.getMessage() : ""));
        }
    }

    /** For index.jelly: the type of the page ancestor whose credentials apply (the job). */
    public Class<Item> getItemType() {
        return Item.class;
    }

    /** A typed or chosen version, from the form, the CLI or the REST API; refused when it cannot be a version. */
    @Override
    public ParameterValue createValue(String value) {
        String version = value == null ? null : value.strip();
        if (version == null || version.isEmpty()) {
            version = getDefaultValue();
        }
        Names.requireSafe("version", version);
        return super.createValue(version);
    }

    public String getApp() {
        return app;
    }

    @DataBoundSetter
    public void setApp(String app) {
        this.app = app;
    }

    public String getBucket() {
        return bucket;
    }

    @DataBoundSetter
    public void setBucket(String bucket) {
        this.bucket = bucket;
    }

    public String getPrefix() {
        return prefix;
    }

    @DataBoundSetter
    public void setPrefix(String prefix) {
        this.prefix = prefix;
    }

    public String getRegion() {
        return region;
    }

    @DataBoundSetter
    public void setRegion(String region) {
        this.region = region;
    }

    public String getEndpoint() {
        return endpoint;
    }

    public String getS3Endpoint() {
        return s3Endpoint;
    }

    @DataBoundSetter
    public void setS3Endpoint(String s3Endpoint) {
        this.s3Endpoint = s3Endpoint;
    }

    @DataBoundSetter
    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    @DataBoundSetter
    public void setCredentialsId(String credentialsId) {
        this.credentialsId = credentialsId;
    }

    public String getRoleArn() {
        return roleArn;
    }

    @DataBoundSetter
    public void setRoleArn(String roleArn) {
        this.roleArn = roleArn;
    }

    public int getLimit() {
        return limit;
    }

    @DataBoundSetter
    public void setLimit(int limit) {
        this.limit = limit > 0 ? limit : DEFAULT_LIMIT;
    }

    /**
     * What the build form shows.
     *
     * @param versions newest first; empty when listing failed
     * @param error    why listing failed, or null
     */
    public record ReleaseChoices(List<String> versions, String error) {
        public List<String> getVersions() {
            return versions;
        }

        public String getError() {
            return error;
        }
    }

    @Extension
    @Symbol("fleetRelease")
    public static class DescriptorImpl extends ParameterDescriptor {

        @Override
        public String getDisplayName() {
            return "Fleet release";
        }

        public ListBoxModel doFillCredentialsIdItems(@AncestorInPath Item item, @QueryParameter String credentialsId) {
            return FleetStepDescriptor.credentialItems(item, credentialsId, AmazonWebServicesCredentials.class);
        }

        public FormValidation doCheckApp(@QueryParameter String value) {
            return value == null || value.isBlank() ? FormValidation.error("Required: the app whose releases to offer.")
                    : Names.isSafe(value) ? FormValidation.ok()
                    : FormValidation.error("An app name has only letters, digits, '.', '_' and '-'.");
        }

        public FormValidation doCheckBucket(@QueryParameter String value) {
            return value == null || value.isBlank() ? FormValidation.error("Required: the bucket that holds the releases.")
                    : FormValidation.ok();
        }

        public FormValidation doCheckDefaultValue(@QueryParameter String value) {
            return value == null || value.isBlank() || Names.isSafe(value) ? FormValidation.ok()
                    : FormValidation.error("A version has only letters, digits, '.', '_' and '-' (at most 128, no '..').");
        }
    }
}
