package io.fleetdeploy.cli;

import io.fleetdeploy.core.release.Encryption;
import picocli.CommandLine.Option;

/** Server-side encryption of the objects a command writes. */
final class EncryptionOptions {

    @Option(names = "--sse", paramLabel = "AES256|aws:kms",
            description = "Server-side encryption of what is written (default: the bucket's default encryption).")
    String mode;

    @Option(names = "--kms-key-id", paramLabel = "KEY", description = "KMS key id, alias or ARN for --sse aws:kms.")
    String kmsKeyId;

    Encryption encryption() {
        return Encryption.of(mode, kmsKeyId);
    }
}
