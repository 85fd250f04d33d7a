package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each API's wire identity agrees with the AWS service model the AWS CLI parses with. */
class AwsApiTest {

    private static final Path MODELS = Path.of("/usr/lib/python3/dist-packages/awscli/botocore/data");
    private static final Map<AwsApi, String> MODEL_NAMES = Map.of(AwsApi.AUTO_SCALING, "autoscaling", AwsApi.ELBV2, "elbv2",
            AwsApi.EC2, "ec2", AwsApi.SSM, "ssm", AwsApi.RDS, "rds", AwsApi.STS, "sts");
    private static final Map<String, Protocol> PROTOCOLS = Map.of("query", Protocol.QUERY, "ec2", Protocol.EC2_QUERY,
            "json", Protocol.JSON_1_1);

    @ParameterizedTest
    @EnumSource(AwsApi.class)
    void matchesTheServiceModel(AwsApi api) throws Exception {
        Path model = MODELS.resolve(MODEL_NAMES.get(api)).resolve(api.apiVersion()).resolve("service-2.json");
        assertThat(model).as("the AWS CLI's model of %s (Debian package awscli)", api).isRegularFile();
        JsonNode service = new ObjectMapper().readTree(Files.readString(model));
        JsonNode metadata = service.get("metadata");

        assertThat(metadata.get("apiVersion").asText()).isEqualTo(api.apiVersion());
        assertThat(PROTOCOLS.get(metadata.get("protocol").asText())).isEqualTo(api.protocol());
        String signingName = metadata.has("signingName") ? metadata.get("signingName").asText() : metadata.get("endpointPrefix").asText();
        assertThat(signingName).isEqualTo(api.signingName());
        String namespace = metadata.has("xmlNamespace") ? metadata.get("xmlNamespace").asText() : "";
        assertThat(api.xmlNamespace()).startsWith(namespace);
        ModelBinding binding = new ModelBinding();
        List<String> withoutRequestClass = new ArrayList<>();
        service.get("operations").fieldNames().forEachRemaining(action -> {
            if (binding.builderMethod(api.modelPackage(), action).isEmpty()) {
                withoutRequestClass.add(action);
            }
        });
        assertThat(withoutRequestClass).as("operations of %s whose SDK request class is not found", api).isEmpty();
    }
}
