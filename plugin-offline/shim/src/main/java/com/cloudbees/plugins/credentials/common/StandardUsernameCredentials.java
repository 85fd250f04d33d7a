package com.cloudbees.plugins.credentials.common;

/** jenkinsci/credentials-plugin. */
public interface StandardUsernameCredentials extends StandardCredentials, UsernameCredentials {
}
