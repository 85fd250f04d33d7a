package io.fleetdeploy.sandbox.aws;

/**
 * An error as AWS answers it: HTTP status, error code (ValidationError, ResourceInUse, Throttling,
 * AccessDenied, InvalidInstanceId, ...), message, and whether it is a Sender or Receiver fault.
 */
public final class AwsServiceError extends Exception {

    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final String code;

    public AwsServiceError(int httpStatus, String code, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.code = code;
    }

    public static AwsServiceError validation(String message) {
        return new AwsServiceError(400, "ValidationError", message);
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String code() {
        return code;
    }

    /** Sender for 4xx, Receiver for 5xx, as Query error responses say. */
    public String faultType() {
        return httpStatus >= 500 ? "Receiver" : "Sender";
    }
}
