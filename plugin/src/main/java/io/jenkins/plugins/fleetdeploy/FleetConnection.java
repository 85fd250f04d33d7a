package io.jenkins.plugins.fleetdeploy;

import com.cloudbees.jenkins.plugins.awscredentials.AmazonWebServicesCredentials;
import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.common.StandardCredentials;
import hudson.EnvVars;
import hudson.model.Item;
import hudson.model.Run;
import hudson.security.ACL;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.aws.AwsClients;
import io.fleetdeploy.core.aws.AwsSettings;
import io.fleetdeploy.core.s3.S3Layout;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * The AWS access a fleet step works with, resolved from its {@link FleetSettings} before anything
 * is changed: region, endpoint, and credentials (an AWS Credentials plugin credential, a role
 * assumed through STS that refreshes itself during long steps, or the SDK's default chain).
 * Close it when the step ends: it owns the STS client of an assumed role.
 */
public final class FleetConnection implements AutoCloseable {

    /** What the AWS Credentials plugin calls the credential kind a user must pick. */
    static final String AWS_CREDENTIAL_KINDS =
            "'AWS Credentials' (an IAM access key and secret key, optionally with an IAM role to assume)";

    private final FleetSettings settings;
    private final AwsSettings aws;
    private final AwsSettings s3;
    private final SdkAutoCloseable owned;

    private FleetConnection(FleetSettings settings, AwsSettings aws, SdkAutoCloseable owned) {
        this.settings = settings;
        this.aws = aws;
        URI s3Endpoint = parseEndpoint(settings.getS3Endpoint(), "s3Endpoint");
        this.s3 = s3Endpoint != null ? aws.withEndpoint(s3Endpoint) : aws;
        this.owned = owned;
    }

    /**
     * Resolves everything or throws a {@link FleetDeployException} saying what is missing.
     *
     * @param env the build's environment: AWS_REGION / AWS_DEFAULT_REGION apply when no region is given
     */
    public static FleetConnection open(FleetSettings settings, Run<?, ?> run, EnvVars env) {
        return open(settings, env, id -> awsCredential(id, run), run.getParent().getFullName() + "-" + run.getNumber());
    }

    /**
     * For work outside a build (the release parameter's form): credentials as the job sees them,
     * the controller's configuration for a missing region.
     */
    public static FleetConnection forItem(FleetSettings settings, Item item) {
        return open(settings, null, id -> {
            for (AmazonWebServicesCredentials c : CredentialsProvider.lookupCredentialsInItem(
                    AmazonWebServicesCredentials.class, item, ACL.SYSTEM2, List.of())) {
                if (id.equals(c.getId())) {
                    return c;
                }
            }
            throw FleetDeployException.invalidInput("No AWS credential with id '" + id + "' is available to "
                    + (item != null ? item.getFullName() : "Jenkins") + ".", "Correct the parameter's credentialsId.");
        }, (item != null ? item.getFullName() : "jenkins") + "-parameters");
    }

    private static FleetConnection open(FleetSettings settings, EnvVars env,
                                        Function<String, AmazonWebServicesCredentials> credentials, String defaultSessionName) {
        Region region = resolveRegion(settings, env);
        URI endpoint = parseEndpoint(settings.getEndpoint(), "endpoint");
        parseEndpoint(settings.getS3Endpoint(), "s3Endpoint");
        AwsCredentialsProvider base = settings.getCredentialsId() == null
                ? DefaultCredentialsProvider.builder().build()
                : new CredentialOrDefaultChain(credentials.apply(settings.getCredentialsId()));
        AwsSettings baseSettings = new AwsSettings(region, endpoint, base);
        if (settings.getRoleArn() == null) {
            return new FleetConnection(settings, baseSettings, null);
        }
        StsClient sts = AwsClients.configure(StsClient.builder(), baseSettings).build();
        StsAssumeRoleCredentialsProvider role = StsAssumeRoleCredentialsProvider.builder()
                .stsClient(sts)
                .refreshRequest(r -> {
                    r.roleArn(settings.getRoleArn()).roleSessionName(sessionName(settings, defaultSessionName));
                    if (settings.getExternalId() != null) {
                        r.externalId(settings.getExternalId());
                    }
                    if (settings.getRoleDurationSeconds() != null) {
                        r.durationSeconds(settings.getRoleDurationSeconds());
                    }
                })
                .build();
        SdkAutoCloseable owned = () -> {
            role.close();
            sts.close();
        };
        return new FleetConnection(settings, baseSettings.withCredentials(role), owned);
    }

    /** Auto Scaling, ELBv2, SSM, STS, RDS: every service but S3. */
    public AwsSettings aws() {
        return aws;
    }

    /** The release bucket: {@code s3Endpoint} when one is given, else the same as {@link #aws()}. */
    public AwsSettings s3() {
        return s3;
    }

    /** The S3 endpoint the instance agent should use: null lets instances use their own. */
    public String agentS3Endpoint() {
        return settings.getS3Endpoint() != null ? settings.getS3Endpoint() : settings.getEndpoint();
    }

    public FleetSettings settings() {
        return settings;
    }

    /** The bucket layout of the app, or a clear error naming what is missing. */
    public S3Layout layout() {
        if (settings.getBucket() == null) {
            throw FleetDeployException.invalidInput("No bucket was given.",
                    "Pass bucket: to the step or to an enclosing withFleet block.");
        }
        if (settings.getApp() == null) {
            throw FleetDeployException.invalidInput("No app was given.",
                    "Pass app: to the step or to an enclosing withFleet block.");
        }
        return S3Layout.of(settings.getBucket(), settings.getPrefix(), settings.getApp());
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    /** Throws the user-facing error when the id names no AWS credential; tracks nothing. */
    public static void checkAwsCredential(String id, Run<?, ?> run) {
        if (CredentialsProvider.findCredentialById(id, AmazonWebServicesCredentials.class, run) == null) {
            throw missingOrWrongType(id, run, AWS_CREDENTIAL_KINDS);
        }
    }

    static AmazonWebServicesCredentials awsCredential(String id, Run<?, ?> run) {
        AmazonWebServicesCredentials credential =
                CredentialsProvider.findCredentialById(id, AmazonWebServicesCredentials.class, run);
        if (credential == null) {
            throw missingOrWrongType(id, run, AWS_CREDENTIAL_KINDS);
        }
        return CredentialsProvider.track(run, credential);
    }

    /** Tells "no such credential" apart from "a credential of another kind" and names the kinds that fit. */
    public static FleetDeployException missingOrWrongType(String id, Run<?, ?> run, String kindsThatFit) {
        StandardCredentials other = CredentialsProvider.findCredentialById(id, StandardCredentials.class, run);
        if (other == null) {
            return FleetDeployException.invalidInput(
                    "No credential with id '" + id + "' is available to this build.",
                    "Add a credential of type " + kindsThatFit + " with that id (globally or in this job's folder), or correct credentialsId.");
        }
        return FleetDeployException.invalidInput(
                "The credential '" + id + "' is a " + other.getClass().getSimpleName() + ", which fleet-deploy cannot use here.",
                "Use a credential of type " + kindsThatFit + ".");
    }

    private static Region resolveRegion(FleetSettings settings, EnvVars env) {
        String region = settings.getRegion();
        if (region == null && env != null) {
            region = firstNonBlank(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"));
        }
        if (region != null) {
            return Region.of(region);
        }
        try {
            return new DefaultAwsRegionProviderChain().getRegion();
        } catch (SdkClientException e) {
            throw FleetDeployException.invalidInput(
                    "No AWS region was given and none is configured on this Jenkins controller.",
                    "Pass region: to the step or to an enclosing withFleet block, or set AWS_REGION in the build environment.");
        }
    }

    private static URI parseEndpoint(String endpoint, String field) {
        if (endpoint == null) {
            return null;
        }
        try {
            URI uri = new URI(endpoint);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new URISyntaxException(endpoint, "needs a scheme and a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw FleetDeployException.invalidInput("The " + field + " '" + endpoint + "' is not a URL.",
                    "Give an endpoint such as https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000, or leave it out for AWS itself.");
        }
    }

    /** STS allows [\w+=,.@-]{2,64}; job names may hold anything else (folders, spaces). */
    static String sessionName(FleetSettings settings, String defaultName) {
        String name = settings.getRoleSessionName() != null ? settings.getRoleSessionName() : defaultName;
        String safe = name.replaceAll("[^\\w+=,.@-]", "-");
        if (safe.length() < 2) {
            safe = "jenkins-" + safe;
        }
        return safe.length() > 64 ? safe.substring(safe.length() - 64) : safe;
    }

    private static String firstNonBlank(String a, String b) {
        if (a != null && !a.isBlank()) {
            return a;
        }
        return b != null && !b.isBlank() ? b : null;
    }

    /**
     * The AWS Credentials plugin's credential is itself an SDK v2 provider; it resolves to null
     * when it holds neither keys nor a role, and then the controller's own identity applies.
     */
    private static final class CredentialOrDefaultChain implements AwsCredentialsProvider {
        private final AmazonWebServicesCredentials credential;
        private final AwsCredentialsProvider defaultChain = DefaultCredentialsProvider.builder().build();

        CredentialOrDefaultChain(AmazonWebServicesCredentials credential) {
            this.credential = credential;
        }

        @Override
        public AwsCredentials resolveCredentials() {
            AwsCredentials resolved = credential.resolveCredentials();
            return resolved != null ? resolved : defaultChain.resolveCredentials();
        }

        @Override
        public String toString() {
            return "Jenkins credential " + credential.getId();
        }
    }
}
