package com.cloudbees.plugins.credentials;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** jenkinsci/credentials-plugin: the global store; tests add credentials with getInstance().getCredentials().add(c), as with JenkinsRule. */
public class SystemCredentialsProvider {

    private static final SystemCredentialsProvider INSTANCE = new SystemCredentialsProvider();

    private final List<Credentials> credentials = new CopyOnWriteArrayList<>();

    public static SystemCredentialsProvider getInstance() {
        return INSTANCE;
    }

    public List<Credentials> getCredentials() {
        return credentials;
    }
}
