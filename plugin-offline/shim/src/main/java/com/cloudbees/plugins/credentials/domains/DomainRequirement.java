package com.cloudbees.plugins.credentials.domains;

import java.io.Serializable;

/** jenkinsci/credentials-plugin. */
public class DomainRequirement implements Serializable {
    private static final long serialVersionUID = 1L;
}
