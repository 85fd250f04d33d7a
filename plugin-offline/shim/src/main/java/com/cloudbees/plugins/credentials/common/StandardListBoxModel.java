package com.cloudbees.plugins.credentials.common;

/** jenkinsci/credentials-plugin. */
public class StandardListBoxModel extends AbstractIdCredentialsListBoxModel<StandardListBoxModel, StandardCredentials> {

    private static final long serialVersionUID = 1L;

    @Override
    protected String describe(StandardCredentials c) {
        return c.getDescription() == null || c.getDescription().isEmpty() ? c.getId() : c.getDescription();
    }
}
