/**
 * The sandbox's AWS wire protocols. {@link io.fleetdeploy.sandbox.aws.AwsEndpoint} answers every
 * Query, EC2 Query and JSON 1.1 service on one loopback port: it verifies SigV4 (header or
 * presigned) against {@link io.fleetdeploy.sandbox.aws.Users}, routes by the credential scope's
 * service, counts the call in {@link io.fleetdeploy.sandbox.aws.CallCounters}, applies
 * {@link io.fleetdeploy.sandbox.aws.Faults}, and (de)serialises the SDK's own request and response
 * objects from their field metadata, so a {@link io.fleetdeploy.sandbox.aws.AwsService} only
 * answers {@code handle(action, request, context)}. {@link io.fleetdeploy.sandbox.aws.StsService}
 * issues the temporary credentials the endpoint and {@link io.fleetdeploy.sandbox.aws.S3Endpoint}
 * then accept.
 */
package io.fleetdeploy.sandbox.aws;
