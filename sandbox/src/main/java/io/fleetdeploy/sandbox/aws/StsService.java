package io.fleetdeploy.sandbox.aws;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.AssumeRoleResponse;
import software.amazon.awssdk.services.sts.model.AssumedRoleUser;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

/**
 * STS as the sandbox answers it: GetCallerIdentity for users and assumed roles, and AssumeRole,
 * whose temporary credentials (key, secret, session token) the endpoint and S3 accept until they
 * expire. Any role ARN can be assumed; a role listed with an external id requires it.
 */
public final class StsService implements AwsService {

    private static final Pattern ROLE_ARN = Pattern.compile("arn:aws:iam::(\\d{12}):role/(?:[\\w+=,.@-]+/)*([\\w+=,.@-]{1,64})");
    private static final Pattern SESSION_NAME = Pattern.compile("[\\w+=,.@-]{2,64}");
    private static final Pattern EXTERNAL_ID = Pattern.compile("[\\w+=,.@:/-]{2,1224}");
    private static final int DEFAULT_DURATION = 3600;
    private static final int MIN_DURATION = 900;
    private static final int MAX_DURATION = 43200;
    private static final int CHAINED_MAX_DURATION = 3600;

    private final Users users;
    private final Map<String, String> externalIdByRoleArn;

    /**
     * @param externalIdByRoleArn roles that may only be assumed with the given external id (role ARN -> external id)
     */
    public StsService(Users users, Map<String, String> externalIdByRoleArn) {
        this.users = Objects.requireNonNull(users, "users");
        this.externalIdByRoleArn = Map.copyOf(externalIdByRoleArn);
    }

    @Override
    public String signingName() {
        return AwsApi.STS.signingName();
    }

    @Override
    public Protocol protocol() {
        return AwsApi.STS.protocol();
    }

    @Override
    public String apiVersion() {
        return AwsApi.STS.apiVersion();
    }

    @Override
    public String xmlNamespace() {
        return AwsApi.STS.xmlNamespace();
    }

    @Override
    public String modelPackage() {
        return AwsApi.STS.modelPackage();
    }

    @Override
    public AwsResponse handle(String action, AwsRequest request, CallContext context) throws AwsServiceError {
        Credential caller = users.find(context.accessKeyId()).orElseThrow(() ->
                new AwsServiceError(403, "InvalidClientTokenId", "The security token included in the request is invalid."));
        return switch (action) {
            case "GetCallerIdentity" -> GetCallerIdentityResponse.builder()
                    .account(caller.accountId()).arn(caller.arn()).userId(caller.userId()).build();
            case "AssumeRole" -> assumeRole((AssumeRoleRequest) request, caller);
            default -> throw new AwsServiceError(400, "InvalidAction", "The sandbox's STS does not answer " + action
                    + "; it answers AssumeRole and GetCallerIdentity");
        };
    }

    private AssumeRoleResponse assumeRole(AssumeRoleRequest request, Credential caller) throws AwsServiceError {
        String roleArn = request.roleArn();
        Matcher role = roleArn == null ? null : ROLE_ARN.matcher(roleArn);
        if (role == null || !role.matches()) {
            throw AwsServiceError.validation(constraint(roleArn, "roleArn",
                    "Member must satisfy the pattern arn:aws:iam::<12-digit account>:role/<name>"));
        }
        String session = request.roleSessionName();
        if (session == null || !SESSION_NAME.matcher(session).matches()) {
            throw AwsServiceError.validation(constraint(session, "roleSessionName",
                    "Member must be 2-64 characters of letters, digits and +=,.@_-"));
        }
        if (request.externalId() != null && !EXTERNAL_ID.matcher(request.externalId()).matches()) {
            throw AwsServiceError.validation(constraint(request.externalId(), "externalId",
                    "Member must be 2-1224 characters of letters, digits and +=,.@:/_-"));
        }
        int duration = request.durationSeconds() == null ? DEFAULT_DURATION : request.durationSeconds();
        if (duration < MIN_DURATION || duration > MAX_DURATION) {
            throw AwsServiceError.validation(constraint(String.valueOf(duration), "durationSeconds",
                    "Member must have value between " + MIN_DURATION + " and " + MAX_DURATION));
        }
        if (caller.temporary() && duration > CHAINED_MAX_DURATION) {
            throw AwsServiceError.validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
                    + "by role chaining.");
        }
        String requiredExternalId = externalIdByRoleArn.get(roleArn);
        if (requiredExternalId != null && !requiredExternalId.equals(request.externalId())) {
            throw new AwsServiceError(403, "AccessDenied", "User: " + caller.arn()
                    + " is not authorized to perform: sts:AssumeRole on resource: " + roleArn);
        }
        String account = role.group(1);
        String assumedRoleArn = "arn:aws:sts::" + account + ":assumed-role/" + role.group(2) + "/" + session;
        String assumedRoleId = "AROA" + users.randomId(17) + ":" + session;
        Credential issued = users.issueTemporary(account, assumedRoleArn, assumedRoleId, Duration.ofSeconds(duration));
        return AssumeRoleResponse.builder()
                .credentials(Credentials.builder().accessKeyId(issued.accessKeyId()).secretAccessKey(issued.secretAccessKey())
                        .sessionToken(issued.sessionToken().orElseThrow()).expiration(issued.expiration().orElseThrow()).build())
                .assumedRoleUser(AssumedRoleUser.builder().arn(assumedRoleArn).assumedRoleId(assumedRoleId).build())
                .sourceIdentity(request.sourceIdentity())
                .packedPolicySize(request.policy() == null && !request.hasPolicyArns() ? null : 0)
                .build();
    }

    private static String constraint(String value, String member, String rule) {
        return "1 validation error detected: Value '" + value + "' at '" + member + "' failed to satisfy constraint: " + rule;
    }
}
