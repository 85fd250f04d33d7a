package io.fleetdeploy.core.aws;

import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.Json;
import io.fleetdeploy.core.fleet.FleetPorts;
import io.fleetdeploy.core.fleet.InstanceStatus;
import io.fleetdeploy.core.release.Channel;
import io.fleetdeploy.core.release.ChannelUpdate;
import io.fleetdeploy.core.release.Releases;
import io.fleetdeploy.core.s3.S3Layout;
import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What the fleet operations read and write in the release bucket, over S3: published versions and
 * channel pointers through {@link Releases} (the channel moves by compare-and-set on the ETag the
 * operation saw), and the agents' {@code status/<group>/<instance-id>.json}.
 */
public final class S3FleetRecords implements FleetPorts.Releases, FleetPorts.Statuses {

    private final S3Client s3;
    private final S3Layout layout;
    private final Releases releases;
    private final String updatedBy;
    /** Status object key -> what it said at the ETag last read. */
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public S3FleetRecords(S3Client s3, Releases releases, String updatedBy) {
        this.s3 = s3;
        this.layout = releases.layout();
        this.releases = releases;
        this.updatedBy = updatedBy;
    }

    @Override
    public boolean isPublished(String version) {
        return releases.manifest(version).isPresent();
    }

    @Override
    public Optional<String> channelVersion(String channel) {
        return releases.channel(channel).map(c -> c.pointer().version());
    }

    @Override
    public void moveChannel(String channel, String expectedVersion, String version) {
        Optional<Channel> current = releases.channel(channel);
        String found = current.map(c -> c.pointer().version()).orElse(null);
        if (expectedVersion == null ? current.isPresent() : !expectedVersion.equals(found)) {
            throw new FleetDeployException("Channel " + channel + " points at " + (found == null ? "nothing" : found) + ", not at "
                    + (expectedVersion == null ? "nothing" : expectedVersion) + " as expected: someone moved it meanwhile.",
                    "The channel was not moved by this operation.", "Check who moved it (updatedBy) and start again.");
        }
        ChannelUpdate update = ChannelUpdate.of(channel, version, updatedBy, false);
        releases.setChannel(current.map(c -> update.expecting(c.objectEtag())).orElse(update));
    }

    /**
     * One LIST of the group's status prefix per call, then a GET only for the objects whose ETag
     * changed since the last call: a tick over a large group costs one request, not one per instance.
     */
    @Override
    public Map<String, InstanceStatus> statuses(String group, Collection<String> instanceIds) {
        String root = layout.statusRoot(group);
        Map<String, InstanceStatus> found = new HashMap<>();
        Set<String> wanted = new HashSet<>(instanceIds);
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(layout.bucket()).prefix(root)).contents()) {
            String name = object.key().substring(root.length());
            if (!name.endsWith(".json") || !wanted.contains(name.substring(0, name.length() - ".json".length()))) {
                continue;
            }
            String id = name.substring(0, name.length() - ".json".length());
            Cached cached = cache.get(object.key());
            if (cached == null || !cached.etag().equals(object.eTag())) {
                Optional<InstanceStatus> read = status(group, id);
                if (read.isEmpty()) {
                    continue;
                }
                // The ETag from the LIST, not the GET: if the object changed in between, the next tick reads it again.
                cached = new Cached(object.eTag(), read.get());
                cache.put(object.key(), cached);
            }
            found.put(id, cached.status());
        }
        return found;
    }

    private record Cached(String etag, InstanceStatus status) {
    }

    @Override
    public Optional<InstanceStatus> status(String group, String instanceId) {
        String key = layout.statusKey(group, instanceId);
        try {
            byte[] json = s3.getObjectAsBytes(b -> b.bucket(layout.bucket()).key(key)).asByteArray();
            return Optional.of(Json.mapper().readValue(json, InstanceStatus.class));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new FleetDeployException(layout.uri(key) + " is not a valid instance status: " + e.getMessage(),
                    "Nothing was changed.", "Check the agent on instance " + instanceId + ".", e);
        }
    }
}
