package io.fleetdeploy.core.operation;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetdeploy.core.FleetDeployException;
import io.fleetdeploy.core.s3.S3Layout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Persists operations at {@code <prefix>/<app>/operations/<id>.json}. The mapper must know the
 * operation's {@link Mutation} types by name (see {@code FleetMutations.mapper()}).
 */
public final class OperationStore {

    private final S3Client s3;
    private final S3Layout layout;
    private final ObjectMapper mapper;

    public OperationStore(S3Client s3, S3Layout layout, ObjectMapper mapper) {
        this.s3 = s3;
        this.layout = layout;
        this.mapper = mapper;
    }

    public S3Layout layout() {
        return layout;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    public void save(OperationRecord record) {
        byte[] json;
        try {
            json = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        s3.putObject(b -> b.bucket(layout.bucket()).key(layout.operationKey(record.id())).contentType("application/json"),
                RequestBody.fromBytes(json));
    }

    public Optional<OperationRecord> find(String id) {
        String key = layout.operationKey(id);
        try {
            byte[] json = s3.getObjectAsBytes(b -> b.bucket(layout.bucket()).key(key)).asByteArray();
            return Optional.of(mapper.readValue(json, OperationRecord.class));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new FleetDeployException("The operation state " + layout.uri(key) + " cannot be read: " + e.getMessage(),
                    "Nothing was changed.", "Check that it was written by this version of fleet-deploy.", e);
        }
    }

    public OperationRecord load(String id) {
        return find(id).orElseThrow(() -> FleetDeployException.invalidInput(
                "There is no operation " + id + " at " + layout.uri(layout.operationKey(id)) + ".",
                "Check the operation id (fleet-deploy operations list) and the bucket, prefix and app."));
    }

    /** Every operation of the app, newest first. */
    public List<OperationRecord> list() {
        List<OperationRecord> records = new ArrayList<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(layout.bucket()).prefix(layout.operationsRoot())).contents()) {
            String name = object.key().substring(layout.operationsRoot().length());
            if (name.endsWith(".json") && !name.contains("/")) {
                find(name.substring(0, name.length() - ".json".length())).ifPresent(records::add);
            }
        }
        records.sort(Comparator.comparing(OperationRecord::created, Comparator.nullsLast(Comparator.naturalOrder())).reversed());
        return records;
    }
}
