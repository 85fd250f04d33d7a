package io.fleetdeploy.core.aws;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Predicate;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Tells an AWS error worth trying again later (throttling, a 5xx, a connection reset or timeout:
 * the SDK already retried it and gave up) from one that will fail the same way again (access
 * denied, a validation error, a failed command). The operation runner retries a tick on the first
 * kind and fails at once on the second.
 */
public final class TransientAwsErrors implements Predicate<Throwable> {

    @Override
    public boolean test(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AwsServiceException service) {
                return service.isThrottlingException() || service.statusCode() >= 500;
            }
            if (t instanceof SdkClientException || t instanceof IOException || t instanceof UncheckedIOException) {
                // No answer from the service: the connection was reset, refused or timed out.
                return hasIoCause(t);
            }
        }
        return false;
    }

    private static boolean hasIoCause(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }
}
