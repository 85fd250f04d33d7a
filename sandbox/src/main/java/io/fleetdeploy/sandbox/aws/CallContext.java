package io.fleetdeploy.sandbox.aws;

/**
 * Who called and where: the verified access key, the region of the credential scope and the
 * request id echoed in the response metadata.
 */
public record CallContext(String accessKeyId, String region, String requestId) {
}
