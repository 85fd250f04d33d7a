package com.cloudbees.plugins.credentials.common;

/** jenkinsci/credentials-plugin. */
public interface StandardUsernamePasswordCredentials extends StandardUsernameCredentials, UsernamePasswordCredentials {
}
