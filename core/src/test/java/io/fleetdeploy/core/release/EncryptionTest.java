package io.fleetdeploy.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetdeploy.core.FleetDeployException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

class EncryptionTest {

    @Test
    void validCombinationsSetTheRequestHeaders() {
        PutObjectRequest kms = Encryption.of("aws:kms", "arn:aws:kms:eu-west-1:123456789012:key/abc-123")
                .applyTo(PutObjectRequest.builder()).build();
        assertThat(kms.serverSideEncryptionAsString()).isEqualTo("aws:kms");
        assertThat(kms.ssekmsKeyId()).isEqualTo("arn:aws:kms:eu-west-1:123456789012:key/abc-123");
        assertThat(Encryption.of("AES256", null).applyTo(PutObjectRequest.builder()).build().serverSideEncryptionAsString()).isEqualTo("AES256");
        assertThat(Encryption.of(null, " ")).isEqualTo(Encryption.BUCKET_DEFAULT);
        assertThat(Encryption.BUCKET_DEFAULT.applyTo(PutObjectRequest.builder()).build().serverSideEncryption()).isNull();
    }

    @Test
    void aKeyWithoutKmsOrAnUnknownModeIsRefused() {
        assertThatThrownBy(() -> Encryption.of(null, "key")).isInstanceOf(FleetDeployException.class).hasMessageContaining("aws:kms");
        assertThatThrownBy(() -> Encryption.of("AES256", "key")).isInstanceOf(FleetDeployException.class).hasMessageContaining("aws:kms");
        assertThatThrownBy(() -> Encryption.of("aws:kms:dsse", null)).isInstanceOf(FleetDeployException.class).hasMessageContaining("not supported");
        assertThatThrownBy(() -> Encryption.of("aws:kms", "key with spaces")).isInstanceOf(FleetDeployException.class);
    }
}
