package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.rds.model.DBInstance;
import software.amazon.awssdk.services.rds.model.DescribeDbInstancesRequest;
import software.amazon.awssdk.services.rds.model.DescribeDbInstancesResponse;
import software.amazon.awssdk.services.rds.model.Endpoint;
import software.amazon.awssdk.services.rds.model.Filter;
import software.amazon.awssdk.services.rds.model.Tag;
import software.amazon.awssdk.services.rds.model.VpcSecurityGroupMembership;

/** RDS: wire names the SDK spells differently (DescribeDBInstances / DescribeDbInstancesRequest) and named list members. */
class RdsQueryTest {

    private static final Instant CREATED = Instant.parse("2024-02-03T04:05:06Z");

    private static final AtomicReference<AwsRequest> lastRequest = new AtomicReference<>();
    private static EndpointFixture fixture;
    private static RdsClient rds;

    @BeforeAll
    static void start() throws Exception {
        fixture = new EndpointFixture(List.of(AwsApi.RDS.service((action, request, context) -> {
            lastRequest.set(request);
            return DescribeDbInstancesResponse.builder().dbInstances(database()).build();
        })));
        rds = fixture.client(RdsClient.builder());
    }

    @AfterAll
    static void stop() {
        rds.close();
        fixture.close();
    }

    static DBInstance database() {
        return DBInstance.builder().dbInstanceIdentifier("shop-db").engine("postgres").engineVersion("16.4")
                .dbInstanceStatus("available").masterUsername("shop").allocatedStorage(20).instanceCreateTime(CREATED)
                .endpoint(Endpoint.builder().address("127.0.0.1").port(54321).build())
                .vpcSecurityGroups(VpcSecurityGroupMembership.builder().vpcSecurityGroupId("sg-1").status("active").build())
                .tagList(Tag.builder().key("fleet:app").value("shop").build())
                .iamDatabaseAuthenticationEnabled(true)
                .build();
    }

    @Test
    void sdkAndCliReadTheSameDatabase() throws Exception {
        DescribeDbInstancesRequest request = DescribeDbInstancesRequest.builder().dbInstanceIdentifier("shop-db")
                .filters(Filter.builder().name("engine").values("postgres", "mysql").build()).build();

        assertThat(rds.describeDBInstances(request).dbInstances()).containsExactly(database());
        assertThat(lastRequest.get()).isEqualTo(request);

        AwsCli.Result cli = new AwsCli(fixture.endpoint.endpoint(), EndpointFixture.REGION.id())
                .run(fixture.user, "rds", "describe-db-instances", "--db-instance-identifier", "shop-db");
        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        JsonNode db = cli.json().get("DBInstances").get(0);
        assertThat(db.get("DBInstanceIdentifier").asText()).isEqualTo("shop-db");
        assertThat(db.get("Endpoint").get("Port").asInt()).isEqualTo(54321);
        assertThat(db.get("VpcSecurityGroups").get(0).get("VpcSecurityGroupId").asText()).isEqualTo("sg-1");
        assertThat(db.get("TagList").get(0).get("Value").asText()).isEqualTo("shop");
        assertThat(db.get("IAMDatabaseAuthenticationEnabled").asBoolean()).isTrue();
        assertThat(OffsetDateTime.parse(db.get("InstanceCreateTime").asText()).toInstant()).isEqualTo(CREATED);
        assertThat(fixture.counters.snapshot()).containsOnlyKeys("rds.DescribeDBInstances");
    }
}
