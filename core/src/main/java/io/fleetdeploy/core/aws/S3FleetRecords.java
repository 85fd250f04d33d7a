package io.fleetdeploy.core.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.fleet.ChannelPointer;
import io.fleetdeploy.core.fleet.FleetPorts;
import io.fleetdeploy.core.fleet.InstanceStatus;
import io.fleetdeploy.core.s3.S3Layout;
import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * What the fleet operations read and write in the release bucket: whether a version is published
 * (its manifest exists), the channel pointer (moved with a compare-and-set on its ETag) and the
 * agents' status objects. Kept to the fields the operations need; the release helper's classes
 * own publishing.
 */
public final class S3FleetRecords implements FleetPorts.Releases, FleetPorts.Statuses {

    private final S3Client s3;
    private final S3Layout layout;
    private final Clock clock;
    private final String updatedBy;

    public S3FleetRecords(S3Client s3, S3Layout layout, Clock clock, String updatedBy) {
        this.s3 = s3;
        this.layout = layout;
        this.clock = clock;
        this.updatedBy = updatedBy;
    }

    @Override
    public boolean isPublished(String version) {
        return read(layout.manifestKey(version)).isPresent();
    }

    @Override
    public Optional<ChannelPointer> channel(String channel) {
        return read(layout.channelKey(channel)).map(r -> new ChannelPointer(channel, r.json().path("version").asText(null)));
    }

    @Override
    public void moveChannel(String channel, String expectedVersion, String version) {
        String key = layout.channelKey(channel);
        Optional<Read> current = read(key);
        String found = current.map(r -> r.json().path("version").asText(null)).orElse(null);
        if (expectedVersion == null ? current.isPresent() : !expectedVersion.equals(found)) {
            throw conflict(channel, expectedVersion, found);
        }
        JsonNode manifest = read(layout.manifestKey(version)).orElseThrow(() -> FleetDeployException.invalidInput(
                "Version " + version + " is not published.", "Publish it first.")).json();
        ObjectNode pointer = Json.mapper().createObjectNode();
        pointer.put("version", version);
        pointer.put("sha256", manifest.path("sha256").asText(null));
        pointer.put("etag", s3.headObject(b -> b.bucket(layout.bucket()).key(layout.bundleKey(version))).eTag());
        pointer.put("updated", clock.instant().toString());
        pointer.put("updatedBy", updatedBy);
        if (found != null) {
            pointer.put("previous", found);
        }
        try {
            s3.putObject(b -> {
                b.bucket(layout.bucket()).key(key).contentType("application/json");
                if (current.isPresent()) {
                    b.ifMatch(current.get().etag());
                } else {
                    b.ifNoneMatch("*");
                }
            }, RequestBody.fromBytes(Json.mapper().writeValueAsBytes(pointer)));
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                throw conflict(channel, expectedVersion, channel(channel).map(ChannelPointer::version).orElse(null));
            }
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Optional<InstanceStatus> status(String group, String instanceId) {
        String key = layout.statusKey(group, instanceId);
        return read(key).map(r -> Json.mapper().convertValue(r.json(), InstanceStatus.class));
    }

    private FleetDeployException conflict(String channel, String expected, String found) {
        return new FleetDeployException("Channel " + channel + " points at " + (found == null ? "nothing" : found) + ", not at "
                + (expected == null ? "nothing" : expected) + " as expected: someone moved it meanwhile.",
                "The channel was not moved by this operation.", "Check who moved it (updatedBy) and start again.");
    }

    private record Read(JsonNode json, String etag) {
    }

    private Optional<Read> read(String key) {
        try {
            ResponseBytes<GetObjectResponse> bytes = s3.getObjectAsBytes(b -> b.bucket(layout.bucket()).key(key));
            return Optional.of(new Read(Json.mapper().readTree(bytes.asByteArray()), bytes.response().eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new FleetDeployException(layout.uri(key) + " is not valid JSON.", "Nothing was changed.",
                    "Check what wrote it.", e);
        }
    }
}
