package com.amazonaws.auth;

/** jenkinsci/aws-credentials-plugin (its own copy of the SDK v1 interface). */
public interface AWSCredentialsProvider {
    AWSCredentials getCredentials();

    void refresh();
}
