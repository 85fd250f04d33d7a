package com.cloudbees.plugins.credentials;

/** jenkinsci/credentials-plugin. */
public enum CredentialsScope {
    SYSTEM, GLOBAL, USER
}
