package org.jenkinsci.plugins.plaincredentials;

import com.cloudbees.plugins.credentials.common.StandardCredentials;
import hudson.util.Secret;

/** jenkinsci/plain-credentials-plugin: "Secret text". */
public interface StringCredentials extends StandardCredentials {
    Secret getSecret();
}
