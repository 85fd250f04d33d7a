package io.jenkins.plugins.fleetdeploy.harness;

import hudson.model.Job;
import hudson.security.Permission;

/** A Pipeline job as the plugin sees it: a full name, and every permission granted (tests run as SYSTEM). */
public final class TestJob extends Job<TestJob, TestRun> {

    private final String fullName;

    public TestJob(String fullName) {
        this.fullName = fullName;
    }

    @Override
    public String getName() {
        return fullName.substring(fullName.lastIndexOf('/') + 1);
    }

    @Override
    public String getFullName() {
        return fullName;
    }

    @Override
    public boolean hasPermission(Permission permission) {
        return true;
    }
}
