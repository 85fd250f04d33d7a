package io.fleetdeploy.sandbox.aws;

/** Why the endpoint refused a request's authentication; each protocol names it with its own error code. */
final class AuthFailure extends Exception {

    private static final long serialVersionUID = 1L;

    enum Kind { MISSING, UNKNOWN_KEY, BAD_SIGNATURE, INVALID_TOKEN, EXPIRED_TOKEN }

    private final Kind kind;

    AuthFailure(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    Kind kind() {
        return kind;
    }

    /** The error AWS answers for this failure in the given protocol. */
    AwsServiceError toServiceError(Protocol protocol) {
        boolean json = protocol == Protocol.JSON_1_1;
        return switch (kind) {
            case MISSING -> json ? new AwsServiceError(400, "MissingAuthenticationTokenException", getMessage())
                    : new AwsServiceError(403, "MissingAuthenticationToken", getMessage());
            case UNKNOWN_KEY, INVALID_TOKEN -> json ? new AwsServiceError(400, "UnrecognizedClientException", getMessage())
                    : new AwsServiceError(403, "InvalidClientTokenId", getMessage());
            case BAD_SIGNATURE -> json ? new AwsServiceError(400, "InvalidSignatureException", getMessage())
                    : new AwsServiceError(403, "SignatureDoesNotMatch", getMessage());
            case EXPIRED_TOKEN -> json ? new AwsServiceError(400, "ExpiredTokenException", getMessage())
                    : new AwsServiceError(403, "ExpiredToken", getMessage());
        };
    }
}
