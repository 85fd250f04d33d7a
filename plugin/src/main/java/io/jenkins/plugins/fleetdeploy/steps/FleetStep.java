package io.jenkins.plugins.fleetdeploy.steps;

import io.jenkins.plugins.fleetdeploy.FleetSettings;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * The arguments every fleet step (and {@code withFleet}) accepts: where and as whom to work.
 * All optional; a value given here wins over the enclosing {@code withFleet} block.
 */
public abstract class FleetStep extends Step {

    private String credentialsId;
    private String region;
    private String roleArn;
    private String externalId;
    private String roleSessionName;
    private Integer roleDurationSeconds;
    private String endpoint;
    private String s3Endpoint;
    private String bucket;
    private String prefix;
    private String app;

    /** This step's own fleet arguments, to lay over the enclosing block's. */
    public FleetSettings ownSettings() {
        return FleetSettings.builder()
                .credentialsId(credentialsId).region(region).roleArn(roleArn).externalId(externalId)
                .roleSessionName(roleSessionName).roleDurationSeconds(roleDurationSeconds)
                .endpoint(endpoint).s3Endpoint(s3Endpoint).bucket(bucket).prefix(prefix).app(app)
                .build();
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    @DataBoundSetter
    public void setCredentialsId(String credentialsId) {
        this.credentialsId = credentialsId;
    }

    public String getRegion() {
        return region;
    }

    @DataBoundSetter
    public void setRegion(String region) {
        this.region = region;
    }

    public String getRoleArn() {
        return roleArn;
    }

    @DataBoundSetter
    public void setRoleArn(String roleArn) {
        this.roleArn = roleArn;
    }

    public String getExternalId() {
        return externalId;
    }

    @DataBoundSetter
    public void setExternalId(String externalId) {
        this.externalId = externalId;
    }

    public String getRoleSessionName() {
        return roleSessionName;
    }

    @DataBoundSetter
    public void setRoleSessionName(String roleSessionName) {
        this.roleSessionName = roleSessionName;
    }

    public Integer getRoleDurationSeconds() {
        return roleDurationSeconds;
    }

    @DataBoundSetter
    public void setRoleDurationSeconds(Integer roleDurationSeconds) {
        this.roleDurationSeconds = roleDurationSeconds;
    }

    public String getEndpoint() {
        return endpoint;
    }

    @DataBoundSetter
    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public String getS3Endpoint() {
        return s3Endpoint;
    }

    @DataBoundSetter
    public void setS3Endpoint(String s3Endpoint) {
        this.s3Endpoint = s3Endpoint;
    }

    public String getBucket() {
        return bucket;
    }

    @DataBoundSetter
    public void setBucket(String bucket) {
        this.bucket = bucket;
    }

    public String getPrefix() {
        return prefix;
    }

    @DataBoundSetter
    public void setPrefix(String prefix) {
        this.prefix = prefix;
    }

    public String getApp() {
        return app;
    }

    @DataBoundSetter
    public void setApp(String app) {
        this.app = app;
    }
}
