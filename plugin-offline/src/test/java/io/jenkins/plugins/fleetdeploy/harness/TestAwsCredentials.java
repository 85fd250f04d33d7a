package io.jenkins.plugins.fleetdeploy.harness;

import com.amazonaws.auth.AWSCredentials;
import com.cloudbees.jenkins.plugins.awscredentials.AmazonWebServicesCredentials;
import com.cloudbees.plugins.credentials.CredentialsDescriptor;
import com.cloudbees.plugins.credentials.CredentialsScope;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * An "AWS Credentials" credential with static keys, as the AWS Credentials plugin's AWSCredentialsImpl
 * holds them (without its own role assumption). Empty keys resolve to null, as the plugin's do, so
 * the caller falls back to the default chain.
 */
public final class TestAwsCredentials implements AmazonWebServicesCredentials {

    private static final long serialVersionUID = 1L;

    private final String id;
    private final String accessKey;
    private final String secretKey;

    public TestAwsCredentials(String id, String accessKey, String secretKey) {
        this.id = id;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    @Override
    public AwsCredentials resolveCredentials() {
        return accessKey.isEmpty() ? null : AwsBasicCredentials.create(accessKey, secretKey);
    }

    @Override
    public AwsCredentials resolveCredentials(String mfaToken) {
        return resolveCredentials();
    }

    @Override
    public String getDisplayName() {
        return accessKey;
    }

    @Override
    public String getId() {
        return id;
    }

    @Override
    public String getDescription() {
        return "test AWS keys " + id;
    }

    @Override
    public CredentialsScope getScope() {
        return CredentialsScope.GLOBAL;
    }

    @Override
    public CredentialsDescriptor getDescriptor() {
        return null;
    }

    @Override
    public AWSCredentials getCredentials() {
        throw new UnsupportedOperationException("SDK v1 is not used by fleet-deploy");
    }

    @Override
    public AWSCredentials getCredentials(String mfaToken) {
        throw new UnsupportedOperationException("SDK v1 is not used by fleet-deploy");
    }

    @Override
    public void refresh() {
    }
}
