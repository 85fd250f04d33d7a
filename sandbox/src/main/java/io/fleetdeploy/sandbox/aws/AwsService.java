package io.fleetdeploy.sandbox.aws;

import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;

/**
 * One AWS service as the sandbox answers it. The endpoint verifies the SigV4 signature, finds the
 * service by the credential scope's service name, turns the wire request (Query form or JSON 1.1)
 * into the SDK's own {@code <Action>Request} object, calls {@link #handle}, and writes the returned
 * {@code <Action>Response} in the service's wire format. State lives in SDK model classes, so no
 * service writes XML or JSON itself.
 */
public interface AwsService {

    /** The service name in the SigV4 credential scope: autoscaling, elasticloadbalancing, ec2, ssm, rds, sts. */
    String signingName();

    Protocol protocol();

    /** The API version the wire format carries, e.g. 2011-01-01 for Auto Scaling. */
    String apiVersion();

    /** The XML namespace of Query responses, e.g. http://autoscaling.amazonaws.com/doc/2011-01-01/; unused for JSON. */
    String xmlNamespace();

    /** Where the SDK's model classes of this service are, e.g. software.amazon.awssdk.services.autoscaling.model. */
    String modelPackage();

    /**
     * Answers one action.
     *
     * @param action  the action's name as on the wire, e.g. DescribeAutoScalingGroups
     * @param request an instance of {@code <modelPackage>.<action>Request}
     * @return an instance of {@code <modelPackage>.<action>Response}
     * @throws AwsServiceError for every error AWS would answer (its code, HTTP status and message)
     */
    AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError;
}
