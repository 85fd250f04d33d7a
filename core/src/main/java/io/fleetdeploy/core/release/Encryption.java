package io.fleetdeploy.core.release;

import io.fleetdeploy.core.FleetDeployException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * Server-side encryption of the objects a publish writes: none (the bucket's default),
 * {@code AES256} (S3-managed keys) or {@code aws:kms} with an optional KMS key id or ARN.
 */
public record Encryption(String mode, String kmsKeyId) {

    public static final Encryption BUCKET_DEFAULT = new Encryption(null, null);

    /** Validates the combination; both null means the bucket's default encryption. */
    public static Encryption of(String mode, String kmsKeyId) {
        String normalizedMode = mode == null || mode.isBlank() ? null : mode.strip();
        String key = kmsKeyId == null || kmsKeyId.isBlank() ? null : kmsKeyId.strip();
        if (normalizedMode == null && key == null) {
            return BUCKET_DEFAULT;
        }
        if (normalizedMode == null || key != null && !"aws:kms".equals(normalizedMode)) {
            throw FleetDeployException.invalidInput("A KMS key id was given without server-side encryption aws:kms.",
                    "Add --sse aws:kms, or leave out the KMS key id.");
        }
        if (!"AES256".equals(normalizedMode) && !"aws:kms".equals(normalizedMode)) {
            throw FleetDeployException.invalidInput("The server-side encryption '" + normalizedMode + "' is not supported.",
                    "Use AES256 (S3-managed keys) or aws:kms (with --kms-key-id, or the account's default KMS key).");
        }
        if (key != null && !key.matches("[A-Za-z0-9:/_.+=@-]{1,2048}")) {
            throw FleetDeployException.invalidInput("The KMS key id contains characters no KMS key id, alias or ARN has.",
                    "Give a key id, alias/NAME or the key's ARN.");
        }
        return new Encryption(normalizedMode, key);
    }

    public PutObjectRequest.Builder applyTo(PutObjectRequest.Builder request) {
        if (mode != null) {
            request.serverSideEncryption(ServerSideEncryption.fromValue(mode));
        }
        if (kmsKeyId != null) {
            request.ssekmsKeyId(kmsKeyId);
        }
        return request;
    }
}
