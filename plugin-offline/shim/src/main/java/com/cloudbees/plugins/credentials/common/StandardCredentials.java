package com.cloudbees.plugins.credentials.common;

/** jenkinsci/credentials-plugin. */
public interface StandardCredentials extends IdCredentials {
    String getDescription();
}
