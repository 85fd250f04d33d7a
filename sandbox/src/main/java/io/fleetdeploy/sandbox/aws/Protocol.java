package io.fleetdeploy.sandbox.aws;

/** The wire protocols of the services the sandbox answers. */
public enum Protocol {
    /** Form-encoded Query request, {@code <XResponse><XResult>..</XResult><ResponseMetadata/>} XML (Auto Scaling, ELBv2, RDS, STS). */
    QUERY,
    /** EC2's Query variant: no Result wrapper, list members named {@code item}. */
    EC2_QUERY,
    /** JSON 1.1 with {@code X-Amz-Target: <Prefix>.<Action>} (SSM). */
    JSON_1_1
}
