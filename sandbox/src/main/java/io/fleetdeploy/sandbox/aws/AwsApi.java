package io.fleetdeploy.sandbox.aws;

import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;

/**
 * The wire identity of each AWS API the sandbox answers, as the AWS service models state it
 * (signing name, protocol, API version, XML namespace) plus where the SDK keeps its model classes.
 * A service describes itself by one of these instead of repeating the values.
 */
public enum AwsApi {
    AUTO_SCALING("autoscaling", Protocol.QUERY, "2011-01-01", "http://autoscaling.amazonaws.com/doc/2011-01-01/",
            "software.amazon.awssdk.services.autoscaling.model"),
    ELBV2("elasticloadbalancing", Protocol.QUERY, "2015-12-01", "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
            "software.amazon.awssdk.services.elasticloadbalancingv2.model"),
    EC2("ec2", Protocol.EC2_QUERY, "2016-11-15", "http://ec2.amazonaws.com/doc/2016-11-15/",
            "software.amazon.awssdk.services.ec2.model"),
    SSM("ssm", Protocol.JSON_1_1, "2014-11-06", "", "software.amazon.awssdk.services.ssm.model"),
    RDS("rds", Protocol.QUERY, "2014-10-31", "http://rds.amazonaws.com/doc/2014-10-31/",
            "software.amazon.awssdk.services.rds.model"),
    STS("sts", Protocol.QUERY, "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/",
            "software.amazon.awssdk.services.sts.model");

    /** What a service does with one call: {@link AwsService#handle} without the descriptive methods. */
    @FunctionalInterface
    public interface Handler {
        AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError;
    }

    private final String signingName;
    private final Protocol protocol;
    private final String apiVersion;
    private final String xmlNamespace;
    private final String modelPackage;

    AwsApi(String signingName, Protocol protocol, String apiVersion, String xmlNamespace, String modelPackage) {
        this.signingName = signingName;
        this.protocol = protocol;
        this.apiVersion = apiVersion;
        this.xmlNamespace = xmlNamespace;
        this.modelPackage = modelPackage;
    }

    public String signingName() {
        return signingName;
    }

    public Protocol protocol() {
        return protocol;
    }

    public String apiVersion() {
        return apiVersion;
    }

    public String xmlNamespace() {
        return xmlNamespace;
    }

    public String modelPackage() {
        return modelPackage;
    }

    /** This API answered by the handler, e.g. {@code AwsApi.SSM.service(ssmState::handle)}. */
    public AwsService service(Handler handler) {
        return new Served(this, handler);
    }

    private record Served(AwsApi api, Handler handler) implements AwsService {
        @Override
        public String signingName() {
            return api.signingName();
        }

        @Override
        public Protocol protocol() {
            return api.protocol();
        }

        @Override
        public String apiVersion() {
            return api.apiVersion();
        }

        @Override
        public String xmlNamespace() {
            return api.xmlNamespace();
        }

        @Override
        public String modelPackage() {
            return api.modelPackage();
        }

        @Override
        public AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
            return handler.handle(action, request, context);
        }
    }
}
