package io.fleetdeploy.core.aws;

import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * How to reach AWS (or the sandbox, or any S3-compatible endpoint): region, optional endpoint
 * override and credentials. Anything not given comes from the SDK's default chains.
 *
 * @param region      null: the SDK's default region chain (AWS_REGION, profile, instance metadata)
 * @param endpoint    null: the service's real endpoint; else every client talks to this URI
 * @param credentials null: the SDK's default credentials chain
 */
public record AwsSettings(Region region, URI endpoint, AwsCredentialsProvider credentials) {

    public static AwsSettings defaults() {
        return new AwsSettings(null, null, null);
    }

    public static AwsSettings of(String region, String endpoint, String profile) {
        return new AwsSettings(
                region == null || region.isBlank() ? null : Region.of(region),
                endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint),
                profile == null || profile.isBlank() ? null : ProfileCredentialsProvider.create(profile));
    }

    public AwsSettings withCredentials(AwsCredentialsProvider provider) {
        return new AwsSettings(region, endpoint, provider);
    }

    public AwsSettings withEndpoint(URI uri) {
        return new AwsSettings(region, uri, credentials);
    }

    public AwsSettings withRegion(Region newRegion) {
        return new AwsSettings(newRegion, endpoint, credentials);
    }

    public Optional<Region> regionIfSet() {
        return Optional.ofNullable(region);
    }

    public Optional<URI> endpointIfSet() {
        return Optional.ofNullable(endpoint);
    }

    public AwsCredentialsProvider credentialsOrDefault() {
        return credentials != null ? credentials : DefaultCredentialsProvider.builder().build();
    }
}
