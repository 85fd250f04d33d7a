package io.fleetdeploy.sandbox.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.protocol.MarshallingKnownType;
import software.amazon.awssdk.core.traits.ListTrait;
import software.amazon.awssdk.core.traits.MapTrait;
import software.amazon.awssdk.core.traits.TimestampFormatTrait;

/**
 * AWS JSON 1.1 both ways, driven by the SDK's field metadata: members by their location names,
 * timestamps as epoch seconds (unless a field says otherwise), blobs in base64, errors as
 * {@code {"__type": code, "message": text}}.
 */
final class JsonCodec {

    static final String CONTENT_TYPE = "application/x-amz-json-1.1";

    private final ObjectMapper mapper = new ObjectMapper();
    private final JsonNodeFactory nodes = JsonNodeFactory.instance;

    AwsRequest read(SdkPojo builder, byte[] body) throws AwsServiceError {
        JsonNode root;
        try {
            root = body.length == 0 ? nodes.objectNode() : mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw serialization("The request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw serialization("The request body cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw serialization("The request body must be a JSON object");
        }
        fill(builder, (ObjectNode) root, "");
        return (AwsRequest) ModelBinding.build(builder);
    }

    byte[] response(SdkPojo response) {
        try {
            return mapper.writeValueAsBytes(toObject(response));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    byte[] error(AwsServiceError error) {
        ObjectNode body = nodes.objectNode();
        body.put("__type", error.code());
        body.put("message", error.getMessage());
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    private void fill(SdkPojo builder, ObjectNode object, String path) throws AwsServiceError {
        for (SdkField<?> field : builder.sdkFields()) {
            if (!ModelBinding.inPayload(field)) {
                continue;
            }
            JsonNode node = object.get(field.locationName());
            if (node != null && !node.isNull()) {
                field.set(builder, readValue(field, node, path + field.locationName()));
            }
        }
    }

    private Object readValue(SdkField<?> field, JsonNode node, String path) throws AwsServiceError {
        MarshallingKnownType type = field.marshallingType().getKnownType();
        switch (type) {
            case STRING:
                return text(node, path);
            case INTEGER:
                return integral(node, path, Integer.MIN_VALUE, Integer.MAX_VALUE).intValue();
            case LONG:
                return integral(node, path, Long.MIN_VALUE, Long.MAX_VALUE);
            case SHORT:
                return integral(node, path, Short.MIN_VALUE, Short.MAX_VALUE).shortValue();
            case BYTE:
                return integral(node, path, Byte.MIN_VALUE, Byte.MAX_VALUE).byteValue();
            case FLOAT:
                return (float) number(node, path).doubleValue();
            case DOUBLE:
                return number(node, path).doubleValue();
            case BIG_DECIMAL:
                return number(node, path);
            case BOOLEAN:
                if (!node.isBoolean()) {
                    throw serialization(path + " must be true or false");
                }
                return node.booleanValue();
            case INSTANT:
                if (node.isNumber()) {
                    return Instant.ofEpochMilli(node.decimalValue().movePointRight(3).longValue());
                }
                try {
                    return Scalars.parseInstant(text(node, path));
                } catch (IllegalArgumentException e) {
                    throw serialization(path + ": " + e.getMessage());
                }
            case SDK_BYTES:
                try {
                    return SdkBytes.fromByteArray(Base64.getDecoder().decode(text(node, path)));
                } catch (IllegalArgumentException e) {
                    throw serialization(path + " must be base64");
                }
            case SDK_POJO:
                if (!node.isObject()) {
                    throw serialization(path + " must be a JSON object");
                }
                SdkPojo nested = field.constructor().get();
                fill(nested, (ObjectNode) node, path + ".");
                return ModelBinding.build(nested);
            case LIST:
                if (!node.isArray()) {
                    throw serialization(path + " must be a JSON array");
                }
                SdkField<?> member = field.getTrait(ListTrait.class).memberFieldInfo();
                List<Object> list = new ArrayList<>(node.size());
                for (int i = 0; i < node.size(); i++) {
                    list.add(node.get(i).isNull() ? null : readValue(member, node.get(i), path + "[" + i + "]"));
                }
                return list;
            case MAP:
                if (!node.isObject()) {
                    throw serialization(path + " must be a JSON object");
                }
                SdkField<?> value = field.getTrait(MapTrait.class).valueFieldInfo();
                Map<String, Object> map = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> entry = it.next();
                    map.put(entry.getKey(), entry.getValue().isNull() ? null
                            : readValue(value, entry.getValue(), path + "." + entry.getKey()));
                }
                return map;
            default:
                throw serialization(path + " has a type the sandbox does not read: " + type);
        }
    }

    private ObjectNode toObject(SdkPojo pojo) {
        ObjectNode object = nodes.objectNode();
        for (SdkField<?> field : pojo.sdkFields()) {
            Object value = ModelBinding.inPayload(field) ? ModelBinding.valueOf(field, pojo) : null;
            if (value != null) {
                object.set(field.locationName(), toNode(field, value));
            }
        }
        return object;
    }

    private JsonNode toNode(SdkField<?> field, Object value) {
        MarshallingKnownType type = field.marshallingType().getKnownType();
        return switch (type) {
            case STRING -> nodes.textNode((String) value);
            case INTEGER -> nodes.numberNode((Integer) value);
            case LONG -> nodes.numberNode((Long) value);
            case SHORT -> nodes.numberNode((Short) value);
            case BYTE -> nodes.numberNode((Byte) value);
            case FLOAT -> nodes.numberNode((Float) value);
            case DOUBLE -> nodes.numberNode((Double) value);
            case BIG_DECIMAL -> nodes.numberNode((BigDecimal) value);
            case BOOLEAN -> nodes.booleanNode((Boolean) value);
            case INSTANT -> timestamp(field, (Instant) value);
            case SDK_BYTES -> nodes.textNode(Base64.getEncoder().encodeToString(((SdkBytes) value).asByteArrayUnsafe()));
            case SDK_POJO -> toObject((SdkPojo) value);
            case LIST -> {
                SdkField<?> member = field.getTrait(ListTrait.class).memberFieldInfo();
                ArrayNode array = nodes.arrayNode();
                for (Object element : (List<?>) value) {
                    array.add(element == null ? nodes.nullNode() : toNode(member, element));
                }
                yield array;
            }
            case MAP -> {
                SdkField<?> member = field.getTrait(MapTrait.class).valueFieldInfo();
                ObjectNode object = nodes.objectNode();
                ((Map<?, ?>) value).forEach((k, v) -> object.set(String.valueOf(k), v == null ? nodes.nullNode() : toNode(member, v)));
                yield object;
            }
            default -> nodes.nullNode();
        };
    }

    private JsonNode timestamp(SdkField<?> field, Instant instant) {
        TimestampFormatTrait format = field.getTrait(TimestampFormatTrait.class);
        if (format != null && format.format() == TimestampFormatTrait.Format.ISO_8601) {
            return nodes.textNode(DateTimeFormatter.ISO_INSTANT.format(instant));
        }
        return nodes.numberNode(BigDecimal.valueOf(instant.toEpochMilli(), 3));
    }

    private static String text(JsonNode node, String path) throws AwsServiceError {
        if (!node.isTextual()) {
            throw serialization(path + " must be a JSON string");
        }
        return node.textValue();
    }

    private static BigDecimal number(JsonNode node, String path) throws AwsServiceError {
        if (!node.isNumber()) {
            throw serialization(path + " must be a JSON number");
        }
        return node.decimalValue();
    }

    private static Long integral(JsonNode node, String path, long min, long max) throws AwsServiceError {
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < min || node.longValue() > max) {
            throw serialization(path + " must be a whole number from " + min + " to " + max);
        }
        return node.longValue();
    }

    private static AwsServiceError serialization(String message) {
        return new AwsServiceError(400, "SerializationException", message);
    }
}
