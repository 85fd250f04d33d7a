package com.cloudbees.plugins.credentials.common;

import com.cloudbees.plugins.credentials.Credentials;

/** jenkinsci/credentials-plugin. */
public interface UsernameCredentials extends Credentials {
    String getUsername();
}
