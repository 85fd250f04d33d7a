package io.jenkins.plugins.fleetdeploy.harness;

import com.cloudbees.plugins.credentials.CredentialsDescriptor;
import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import hudson.util.Secret;

/** A "Username with password" credential, as the credentials plugin's UsernamePasswordCredentialsImpl. */
public final class TestUsernamePassword implements StandardUsernamePasswordCredentials {

    private static final long serialVersionUID = 1L;

    private final String id;
    private final String username;
    private final Secret password;

    public TestUsernamePassword(String id, String username, String password) {
        this.id = id;
        this.username = username;
        this.password = Secret.fromString(password);
    }

    @Override
    public String getUsername() {
        return username;
    }

    @Override
    public Secret getPassword() {
        return password;
    }

    @Override
    public String getId() {
        return id;
    }

    @Override
    public String getDescription() {
        return "test login " + id;
    }

    @Override
    public CredentialsScope getScope() {
        return CredentialsScope.GLOBAL;
    }

    @Override
    public CredentialsDescriptor getDescriptor() {
        return null;
    }
}
