package com.cloudbees.plugins.credentials.common;

import com.cloudbees.plugins.credentials.Credentials;

/** jenkinsci/credentials-plugin. */
public interface IdCredentials extends Credentials {
    String getId();
}
