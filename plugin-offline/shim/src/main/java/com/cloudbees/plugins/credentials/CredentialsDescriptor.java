package com.cloudbees.plugins.credentials;

import hudson.model.Descriptor;

/** jenkinsci/credentials-plugin. */
public abstract class CredentialsDescriptor extends Descriptor<Credentials> {
    protected CredentialsDescriptor() {
    }
}
