package io.jenkins.plugins.fleetdeploy.harness;

import hudson.EnvVars;
import hudson.model.Run;
import hudson.model.TaskListener;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/** A build: number, URL, the environment Jenkins gives every build, and a count of saves. */
public final class TestRun extends Run<TestJob, TestRun> {

    private final int number;
    private final AtomicInteger saves = new AtomicInteger();

    public TestRun(TestJob job, int number) throws IOException {
        super(job);
        this.number = number;
    }

    @Override
    public int getNumber() {
        return number;
    }

    @Override
    public String getUrl() {
        return "job/" + getParent().getFullName().replace("/", "/job/") + "/" + number + "/";
    }

    @Override
    public EnvVars getEnvironment(TaskListener listener) {
        EnvVars env = new EnvVars();
        env.put("JOB_NAME", getParent().getFullName());
        env.put("BUILD_NUMBER", Integer.toString(number));
        env.put("BUILD_ID", Integer.toString(number));
        env.put("BUILD_URL", "http://jenkins.invalid/" + getUrl());
        env.put("BUILD_TAG", "jenkins-" + getParent().getFullName().replace('/', '-') + "-" + number);
        return env;
    }

    @Override
    public void save() {
        saves.incrementAndGet();
    }

    public int saves() {
        return saves.get();
    }
}
