package io.fleetdeploy.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.rds.RdsUtilities;

/**
 * The RDS IAM token check on tokens the SDK's own RdsUtilities and the AWS CLI sign: what it accepts,
 * and that every refusal says why without repeating the token.
 */
class RdsAuthTokensTest {

    private static final String ACCESS_KEY = "AKIARDSTOKENTEST0001";
    private static final String SECRET_KEY = "rds/token/test/secret+key000000000000000";
    private static final String ENDPOINT = "127.0.0.1:5432";

    private final EndpointFixture.MutableClock clock = new EndpointFixture.MutableClock(Instant.now());
    private final Users users = new Users(clock);
    private final RdsAuthTokens tokens = new RdsAuthTokens(users, "eu-west-1");

    RdsAuthTokensTest() {
        users.addUser("123456789012", "deployer", ACCESS_KEY, SECRET_KEY);
    }

    @Test
    void aTokenTheSdkSignsWithAKnownKeyLetsItsUserInAtItsEndpoint() {
        String token = sdkToken(ACCESS_KEY, SECRET_KEY, "127.0.0.1", 5432, "app_iam");

        assertThat(tokens.refusal(ENDPOINT, "app_iam", token)).isEmpty();
        assertThat(tokens.refusal(ENDPOINT, "app_iam", "https://" + token)).as("with a scheme, as some clients send it").isEmpty();
    }

    @Test
    void aTokenTheAwsCliSignsIsAcceptedToo() throws Exception {
        Credential deployer = users.find(ACCESS_KEY).orElseThrow();
        // generate-db-auth-token signs locally: the endpoint is never called.
        AwsCli.Result cli = new AwsCli(URI.create("http://127.0.0.1:9"), "eu-west-1").run(deployer,
                "rds", "generate-db-auth-token", "--hostname", "127.0.0.1", "--port", "5432", "--username", "app_iam");
        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        String token = cli.stdout().strip();

        assertThat(tokens.refusal(ENDPOINT, "app_iam", token)).isEmpty();
        assertThat(reason(ENDPOINT, "other_user", token)).contains("signed for database user 'app_iam'");
    }

    @Test
    void anExpiredTokenIsRefused() {
        String token = sdkToken(ACCESS_KEY, SECRET_KEY, "127.0.0.1", 5432, "app_iam");
        clock.advance(Duration.ofMinutes(14));
        assertThat(tokens.refusal(ENDPOINT, "app_iam", token)).as("still within its 15 minutes").isEmpty();

        clock.advance(Duration.ofMinutes(2));

        assertThat(reason(ENDPOINT, "app_iam", token)).contains("access key " + ACCESS_KEY).contains("Signature expired")
                .contains("validity of 900 seconds");
    }

    @Test
    void aTokenForAnotherHostOrPortIsRefused() {
        String token = sdkToken(ACCESS_KEY, SECRET_KEY, "127.0.0.1", 5432, "app_iam");

        assertThat(reason("127.0.0.1:5433", "app_iam", token))
                .isEqualTo("the token was signed for 127.0.0.1:5432, not for this database's endpoint 127.0.0.1:5433");
        assertThat(reason("localhost:5432", "app_iam", token)).contains("not for this database's endpoint localhost:5432");
    }

    @Test
    void aTokenForAnotherUserIsRefused() {
        String token = sdkToken(ACCESS_KEY, SECRET_KEY, "127.0.0.1", 5432, "app_iam");

        assertThat(reason(ENDPOINT, "master", token))
                .isEqualTo("the token was signed for database user 'app_iam', not 'master'");
    }

    @Test
    void aTokenSignedWithAKeyTheSandboxDoesNotKnowIsRefused() {
        String token = sdkToken("AKIANOBODYKNOWS00001", SECRET_KEY, "127.0.0.1", 5432, "app_iam");

        assertThat(reason(ENDPOINT, "app_iam", token)).contains("access key AKIANOBODYKNOWS00001")
                .contains("The security token included in the request is invalid");
    }

    @Test
    void aTamperedTokenIsRefused() {
        String token = sdkToken(ACCESS_KEY, SECRET_KEY, "127.0.0.1", 5432, "app_iam");
        String signature = token.substring(token.indexOf("X-Amz-Signature=") + "X-Amz-Signature=".length());
        char last = signature.charAt(signature.length() - 1);
        String otherSignature = token.substring(0, token.length() - 1) + (last == '0' ? '1' : '0');
        // Another user's name under the original signature: the signature covers DBUser.
        String otherUser = token.replace("DBUser=app_iam", "DBUser=app_admin");
        String wrongSecret = sdkToken(ACCESS_KEY, "not-the-" + SECRET_KEY, "127.0.0.1", 5432, "app_iam");

        assertThat(reason(ENDPOINT, "app_iam", otherSignature)).contains("signature we calculated does not match");
        assertThat(reason(ENDPOINT, "app_admin", otherUser)).contains("signature we calculated does not match");
        assertThat(reason(ENDPOINT, "app_iam", wrongSecret)).contains("signature we calculated does not match");
        assertThat(reason(ENDPOINT, "app_iam", "not-a-token"))
                .isEqualTo("the password is not an RDS IAM authentication token (<host>:<port>/?Action=connect&DBUser=...)");
    }

    @Test
    void aTokenValidForMoreThanFifteenMinutesOrForAnotherServiceIsRefused() {
        String longLived = presigned("rds-db", Duration.ofHours(1));
        String forSts = presigned("sts", Duration.ofMinutes(15));

        assertThat(reason(ENDPOINT, "app_iam", longLived)).isEqualTo("the token's X-Amz-Expires must be at most 900 seconds");
        assertThat(reason(ENDPOINT, "app_iam", forSts)).isEqualTo("the token is signed for service sts in eu-west-1,"
                + " not for rds-db in eu-west-1");
        assertThat(tokens.refusal(ENDPOINT, "app_iam", presigned("rds-db", Duration.ofMinutes(5)))).isEmpty();
    }

    private String reason(String endpoint, String user, String token) {
        Optional<String> refusal = tokens.refusal(endpoint, user, token);
        assertThat(refusal).as("refused").isPresent();
        int signature = token.indexOf("X-Amz-Signature=");
        assertThat(refusal.get()).as("never the token nor its signature").doesNotContain(token)
                .doesNotContain(signature < 0 ? token : token.substring(signature));
        return refusal.get();
    }

    /** What fleet-deploy (and `aws rds generate-db-auth-token`) sends: the SDK's RdsUtilities token. */
    private static String sdkToken(String accessKey, String secretKey, String host, int port, String user) {
        return RdsUtilities.builder().region(Region.EU_WEST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .build().generateAuthenticationToken(r -> r.hostname(host).port(port).username(user));
    }

    /** A connect URL presigned like the SDK's token but with any service and validity. */
    private static String presigned(String service, Duration validity) {
        SdkHttpRequest unsigned = SdkHttpRequest.builder().method(SdkHttpMethod.GET)
                .uri(URI.create("https://" + ENDPOINT + "/?Action=connect&DBUser=app_iam")).build();
        SdkHttpRequest signed = AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsCredentialsIdentity.create(ACCESS_KEY, SECRET_KEY)).request(unsigned)
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                .putProperty(AwsV4HttpSigner.REGION_NAME, "eu-west-1")
                .putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, validity)).request();
        return signed.getUri().toString().substring("https://".length());
    }
}
