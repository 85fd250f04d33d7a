package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Action;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ActionTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.AuthenticateOidcActionConfig;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ForwardActionConfig;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ModifyListenerRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ModifyListenerResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupTuple;

/** Deeply nested Query structures (ELBv2 weighted forward actions, maps as entry/key/value) both ways. */
class NestedQueryStructuresTest {

    private static final String LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2";
    private static final String BLUE = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/1";
    private static final String GREEN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/2";

    /** Answers ModifyListener with the listener as changed, the way ELBv2 does. */
    static final class EchoListeners implements AwsApi.Handler {
        final AtomicReference<AwsRequest> lastRequest = new AtomicReference<>();

        @Override
        public AwsResponse handle(String action, AwsRequest request, CallContext context) {
            lastRequest.set(request);
            ModifyListenerRequest modify = (ModifyListenerRequest) request;
            return ModifyListenerResponse.builder().listeners(Listener.builder().listenerArn(modify.listenerArn())
                    .port(modify.port()).protocol(modify.protocol()).defaultActions(modify.defaultActions()).build()).build();
        }
    }

    private static EchoListeners service;
    private static EndpointFixture fixture;
    private static ElasticLoadBalancingV2Client elb;

    @BeforeAll
    static void start() throws Exception {
        service = new EchoListeners();
        fixture = new EndpointFixture(List.of(AwsApi.ELBV2.service(service)));
        elb = fixture.client(ElasticLoadBalancingV2Client.builder());
    }

    @AfterAll
    static void stop() {
        elb.close();
        fixture.close();
    }

    @Test
    void weightedForwardAndMapParametersSurviveBothDirections() {
        Action forward = Action.builder().type(ActionTypeEnum.FORWARD).order(2)
                .forwardConfig(ForwardActionConfig.builder().targetGroups(
                        TargetGroupTuple.builder().targetGroupArn(BLUE).weight(90).build(),
                        TargetGroupTuple.builder().targetGroupArn(GREEN).weight(10).build()).build())
                .build();
        Action authenticate = Action.builder().type(ActionTypeEnum.AUTHENTICATE_OIDC).order(1)
                .authenticateOidcConfig(AuthenticateOidcActionConfig.builder().issuer("https://idp.example").clientId("shop")
                        .authorizationEndpoint("https://idp.example/auth").tokenEndpoint("https://idp.example/token")
                        .userInfoEndpoint("https://idp.example/me")
                        .authenticationRequestExtraParams(Map.of("prompt", "login", "display", "page & more")).build())
                .build();
        ModifyListenerRequest request = ModifyListenerRequest.builder().listenerArn(LISTENER).port(8080)
                .defaultActions(authenticate, forward).build();

        Listener listener = elb.modifyListener(request).listeners().get(0);

        assertThat(service.lastRequest.get()).isEqualTo(request);
        assertThat(listener.defaultActions()).containsExactly(authenticate, forward);
        assertThat(listener.port()).isEqualTo(8080);
    }

    @Test
    void awsCliSendsAndReadsWeightedForwardActions() throws Exception {
        AwsCli.Result cli = new AwsCli(fixture.endpoint.endpoint(), EndpointFixture.REGION.id()).run(fixture.user,
                "elbv2", "modify-listener", "--listener-arn", LISTENER, "--default-actions",
                "[{\"Type\":\"forward\",\"ForwardConfig\":{\"TargetGroups\":[{\"TargetGroupArn\":\"" + BLUE + "\",\"Weight\":0},"
                        + "{\"TargetGroupArn\":\"" + GREEN + "\",\"Weight\":100}]}}]");

        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        ModifyListenerRequest received = (ModifyListenerRequest) service.lastRequest.get();
        assertThat(received.defaultActions().get(0).forwardConfig().targetGroups())
                .containsExactly(TargetGroupTuple.builder().targetGroupArn(BLUE).weight(0).build(),
                        TargetGroupTuple.builder().targetGroupArn(GREEN).weight(100).build());
        JsonNode groups = cli.json().get("Listeners").get(0).get("DefaultActions").get(0).get("ForwardConfig").get("TargetGroups");
        assertThat(groups.get(1).get("TargetGroupArn").asText()).isEqualTo(GREEN);
        assertThat(groups.get(1).get("Weight").asInt()).isEqualTo(100);
    }
}
