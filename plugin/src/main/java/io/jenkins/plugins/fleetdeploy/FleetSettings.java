package io.jenkins.plugins.fleetdeploy;

import java.io.Serializable;
import java.util.Objects;

/**
 * Where and as whom the fleet steps work: AWS credentials, region, role, endpoint, bucket and app.
 * {@code withFleet} puts one into the context of its body; each fleet step lays its own arguments
 * over it ({@link #overriddenBy}), so a step's own argument always wins.
 *
 * <p>A plain serializable class rather than a record: it is persisted with the running Pipeline,
 * whose serializer predates records.
 */
public final class FleetSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String credentialsId;
    private final String region;
    private final String roleArn;
    private final String externalId;
    private final String roleSessionName;
    private final Integer roleDurationSeconds;
    private final String endpoint;
    private final String s3Endpoint;
    private final String bucket;
    private final String prefix;
    private final String app;

    private FleetSettings(Builder b) {
        this.credentialsId = blankToNull(b.credentialsId);
        this.region = blankToNull(b.region);
        this.roleArn = blankToNull(b.roleArn);
        this.externalId = blankToNull(b.externalId);
        this.roleSessionName = blankToNull(b.roleSessionName);
        this.roleDurationSeconds = b.roleDurationSeconds;
        this.endpoint = blankToNull(b.endpoint);
        this.s3Endpoint = blankToNull(b.s3Endpoint);
        this.bucket = blankToNull(b.bucket);
        this.prefix = blankToNull(b.prefix);
        this.app = blankToNull(b.app);
    }

    public static FleetSettings none() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** These settings with every value {@code inner} sets replacing ours. */
    public FleetSettings overriddenBy(FleetSettings inner) {
        if (inner == null) {
            return this;
        }
        Builder b = builder();
        b.credentialsId = pick(inner.credentialsId, credentialsId);
        b.region = pick(inner.region, region);
        b.roleArn = pick(inner.roleArn, roleArn);
        b.externalId = pick(inner.externalId, externalId);
        b.roleSessionName = pick(inner.roleSessionName, roleSessionName);
        b.roleDurationSeconds = pick(inner.roleDurationSeconds, roleDurationSeconds);
        b.endpoint = pick(inner.endpoint, endpoint);
        b.s3Endpoint = pick(inner.s3Endpoint, s3Endpoint);
        b.bucket = pick(inner.bucket, bucket);
        b.prefix = pick(inner.prefix, prefix);
        b.app = pick(inner.app, app);
        return b.build();
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    public String getRegion() {
        return region;
    }

    public String getRoleArn() {
        return roleArn;
    }

    public String getExternalId() {
        return externalId;
    }

    public String getRoleSessionName() {
        return roleSessionName;
    }

    public Integer getRoleDurationSeconds() {
        return roleDurationSeconds;
    }

    public String getEndpoint() {
        return endpoint;
    }

    /** Where S3 requests go when S3 has its own endpoint (the sandbox); null: {@link #getEndpoint()}. */
    public String getS3Endpoint() {
        return s3Endpoint;
    }

    public String getBucket() {
        return bucket;
    }

    public String getPrefix() {
        return prefix;
    }

    public String getApp() {
        return app;
    }

    private static <T> T pick(T preferred, T fallback) {
        return preferred != null ? preferred : fallback;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FleetSettings other
                && Objects.equals(credentialsId, other.credentialsId) && Objects.equals(region, other.region)
                && Objects.equals(roleArn, other.roleArn) && Objects.equals(externalId, other.externalId)
                && Objects.equals(roleSessionName, other.roleSessionName)
                && Objects.equals(roleDurationSeconds, other.roleDurationSeconds)
                && Objects.equals(endpoint, other.endpoint) && Objects.equals(s3Endpoint, other.s3Endpoint)
                && Objects.equals(bucket, other.bucket)
                && Objects.equals(prefix, other.prefix) && Objects.equals(app, other.app);
    }

    @Override
    public int hashCode() {
        return Objects.hash(credentialsId, region, roleArn, externalId, roleSessionName, roleDurationSeconds,
                endpoint, s3Endpoint, bucket, prefix, app);
    }

    /** For the build log: names what is used, never a secret (there is none in here, only ids). */
    @Override
    public String toString() {
        return "FleetSettings[credentialsId=" + credentialsId + ", region=" + region + ", roleArn=" + roleArn
                + ", endpoint=" + endpoint + ", s3Endpoint=" + s3Endpoint + ", bucket=" + bucket + ", prefix=" + prefix + ", app=" + app + "]";
    }

    /** Mutable while being filled from step arguments; the settings themselves are immutable. */
    public static final class Builder {
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

        public Builder credentialsId(String value) {
            credentialsId = value;
            return this;
        }

        public Builder region(String value) {
            region = value;
            return this;
        }

        public Builder roleArn(String value) {
            roleArn = value;
            return this;
        }

        public Builder externalId(String value) {
            externalId = value;
            return this;
        }

        public Builder roleSessionName(String value) {
            roleSessionName = value;
            return this;
        }

        public Builder roleDurationSeconds(Integer value) {
            roleDurationSeconds = value;
            return this;
        }

        public Builder endpoint(String value) {
            endpoint = value;
            return this;
        }

        public Builder s3Endpoint(String value) {
            s3Endpoint = value;
            return this;
        }

        public Builder bucket(String value) {
            bucket = value;
            return this;
        }

        public Builder prefix(String value) {
            prefix = value;
            return this;
        }

        public Builder app(String value) {
            app = value;
            return this;
        }

        public FleetSettings build() {
            return new FleetSettings(this);
        }
    }
}
