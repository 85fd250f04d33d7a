package com.cloudbees.plugins.credentials.common;

/** jenkinsci/credentials-plugin. */
public interface UsernamePasswordCredentials extends UsernameCredentials, PasswordCredentials {
}
