package io.fleetdeploy.sandbox.aws;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedSet;
import java.util.TreeSet;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.protocol.MarshallingKnownType;
import software.amazon.awssdk.core.traits.ListTrait;
import software.amazon.awssdk.core.traits.MapTrait;

/**
 * The Query protocol both ways, driven by the SDK's field metadata alone: form parameters
 * ({@code A.member.1}, {@code Tags.member.1.Key}, {@code M.entry.1.key}) into request objects, response
 * objects into {@code <XResponse><XResult>..</XResult><ResponseMetadata/>} XML. The EC2 variant
 * flattens request lists ({@code InstanceId.1}), has no Result wrapper, names list members
 * {@code item} and reports errors in {@code <Response><Errors>}.
 */
final class QueryCodec {

    private static final int MAX_LIST_INDEX = 10_000;

    private final boolean ec2;

    QueryCodec(boolean ec2) {
        this.ec2 = ec2;
    }

    /** Fills the request builder from the form parameters and builds the request. */
    AwsRequest read(SdkPojo builder, NavigableMap<String, String> params) throws AwsServiceError {
        fill(builder, "", params);
        return (AwsRequest) ModelBinding.build(builder);
    }

    String response(String action, String xmlNamespace, SdkPojo response, String requestId) {
        StringBuilder xml = new StringBuilder(1024);
        xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<").append(action).append("Response xmlns=\"")
                .append(escape(xmlNamespace)).append("\">");
        if (ec2) {
            element(xml, "requestId", requestId);
            writeFields(response, xml);
        } else {
            if (!response.sdkFields().isEmpty()) {
                xml.append('<').append(action).append("Result>");
                writeFields(response, xml);
                xml.append("</").append(action).append("Result>");
            }
            xml.append("<ResponseMetadata>");
            element(xml, "RequestId", requestId);
            xml.append("</ResponseMetadata>");
        }
        return xml.append("</").append(action).append("Response>").toString();
    }

    String error(AwsServiceError error, String xmlNamespace, String requestId) {
        StringBuilder xml = new StringBuilder(512).append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        if (ec2) {
            xml.append("<Response><Errors><Error>");
            element(xml, "Code", error.code());
            element(xml, "Message", error.getMessage());
            xml.append("</Error></Errors>");
            element(xml, "RequestID", requestId);
            return xml.append("</Response>").toString();
        }
        xml.append("<ErrorResponse xmlns=\"").append(escape(xmlNamespace)).append("\"><Error>");
        element(xml, "Type", error.faultType());
        element(xml, "Code", error.code());
        element(xml, "Message", error.getMessage());
        xml.append("</Error>");
        element(xml, "RequestId", requestId);
        return xml.append("</ErrorResponse>").toString();
    }

    /** The error code of a malformed parameter in this protocol. */
    String invalidParameterCode() {
        return ec2 ? "InvalidParameterValue" : "ValidationError";
    }

    private void fill(SdkPojo builder, String prefix, NavigableMap<String, String> params) throws AwsServiceError {
        for (SdkField<?> field : builder.sdkFields()) {
            if (!ModelBinding.inPayload(field)) {
                continue;
            }
            Object value = readValue(field, prefix + field.locationName(), params);
            if (value != null) {
                field.set(builder, value);
            }
        }
    }

    private Object readValue(SdkField<?> field, String path, NavigableMap<String, String> params) throws AwsServiceError {
        MarshallingKnownType type = field.marshallingType().getKnownType();
        if (Scalars.isScalar(field)) {
            String text = params.get(path);
            if (text == null) {
                return null;
            }
            try {
                return Scalars.parse(field, text);
            } catch (IllegalArgumentException e) {
                throw new AwsServiceError(400, invalidParameterCode(),
                        "Value '" + text + "' for parameter " + path + " is invalid: " + e.getMessage());
            }
        }
        if (type == MarshallingKnownType.SDK_POJO) {
            if (!hasChildren(params, path)) {
                return null;
            }
            SdkPojo nested = field.constructor().get();
            fill(nested, path + ".", params);
            return ModelBinding.build(nested);
        }
        if (type == MarshallingKnownType.LIST) {
            return readList(field, path, params);
        }
        if (type == MarshallingKnownType.MAP) {
            return readMap(field, path, params);
        }
        return null;
    }

    private List<Object> readList(SdkField<?> field, String path, NavigableMap<String, String> params) throws AwsServiceError {
        ListTrait list = field.getTrait(ListTrait.class);
        String base = ec2 || list.isFlattened() ? path : path + "." + list.memberFieldInfo().locationName();
        SortedSet<Integer> indexes = indexes(params, base);
        if (indexes.isEmpty()) {
            // An explicitly empty list travels as "Name=" (the SDK's and botocore's way).
            return "".equals(params.get(path)) && !hasChildren(params, path) ? new ArrayList<>() : null;
        }
        List<Object> values = new ArrayList<>(indexes.size());
        for (int index : indexes) {
            Object member = readValue(list.memberFieldInfo(), base + "." + index, params);
            if (member != null) {
                values.add(member);
            }
        }
        return values;
    }

    private Map<String, Object> readMap(SdkField<?> field, String path, NavigableMap<String, String> params) throws AwsServiceError {
        MapTrait map = field.getTrait(MapTrait.class);
        String base = map.isFlattened() ? path : path + ".entry";
        SortedSet<Integer> indexes = indexes(params, base);
        if (indexes.isEmpty()) {
            return null;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (int index : indexes) {
            String entry = base + "." + index + ".";
            String key = params.get(entry + map.keyLocationName());
            if (key == null) {
                throw new AwsServiceError(400, invalidParameterCode(), "Parameter " + entry + map.keyLocationName() + " is missing");
            }
            values.put(key, readValue(map.valueFieldInfo(), entry + map.valueLocationName(), params));
        }
        return values;
    }

    private SortedSet<Integer> indexes(NavigableMap<String, String> params, String base) throws AwsServiceError {
        SortedSet<Integer> indexes = new TreeSet<>();
        String start = base + ".";
        for (String key : params.subMap(start, true, base + "/", false).keySet()) {
            int end = key.indexOf('.', start.length());
            String index = key.substring(start.length(), end < 0 ? key.length() : end);
            try {
                int value = Integer.parseInt(index);
                if (value < 1 || value > MAX_LIST_INDEX) {
                    throw new NumberFormatException();
                }
                indexes.add(value);
            } catch (NumberFormatException e) {
                throw new AwsServiceError(400, invalidParameterCode(), "Parameter " + key
                        + " has an invalid list index '" + index + "': it must be a number from 1 to " + MAX_LIST_INDEX);
            }
        }
        return indexes;
    }

    private static boolean hasChildren(NavigableMap<String, String> params, String path) {
        return !params.subMap(path + ".", true, path + "/", false).isEmpty();
    }

    private void writeFields(SdkPojo pojo, StringBuilder xml) {
        for (SdkField<?> field : pojo.sdkFields()) {
            Object value = ModelBinding.inPayload(field) ? ModelBinding.valueOf(field, pojo) : null;
            if (value != null) {
                writeValue(field, field.unmarshallLocationName(), value, xml);
            }
        }
    }

    private void writeValue(SdkField<?> field, String name, Object value, StringBuilder xml) {
        MarshallingKnownType type = field.marshallingType().getKnownType();
        if (Scalars.isScalar(field)) {
            element(xml, name, Scalars.format(value));
        } else if (type == MarshallingKnownType.SDK_POJO) {
            xml.append('<').append(name).append('>');
            writeFields((SdkPojo) value, xml);
            xml.append("</").append(name).append('>');
        } else if (type == MarshallingKnownType.LIST) {
            writeList(field, name, (List<?>) value, xml);
        } else if (type == MarshallingKnownType.MAP) {
            writeMap(field, name, (Map<?, ?>) value, xml);
        }
    }

    private void writeList(SdkField<?> field, String name, List<?> values, StringBuilder xml) {
        ListTrait list = field.getTrait(ListTrait.class);
        SdkField<?> member = list.memberFieldInfo();
        if (list.isFlattened()) {
            for (Object value : values) {
                writeValue(member, name, value, xml);
            }
            return;
        }
        String memberName = member.unmarshallLocationName() != null ? member.unmarshallLocationName()
                : ec2 ? "item" : "member";
        xml.append('<').append(name).append('>');
        for (Object value : values) {
            if (value != null) {
                writeValue(member, memberName, value, xml);
            }
        }
        xml.append("</").append(name).append('>');
    }

    private void writeMap(SdkField<?> field, String name, Map<?, ?> values, StringBuilder xml) {
        MapTrait map = field.getTrait(MapTrait.class);
        if (!map.isFlattened()) {
            xml.append('<').append(name).append('>');
        }
        String entryName = map.isFlattened() ? name : "entry";
        for (Map.Entry<?, ?> entry : values.entrySet()) {
            xml.append('<').append(entryName).append('>');
            element(xml, map.keyLocationName(), String.valueOf(entry.getKey()));
            if (entry.getValue() != null) {
                writeValue(map.valueFieldInfo(), map.valueLocationName(), entry.getValue(), xml);
            }
            xml.append("</").append(entryName).append('>');
        }
        if (!map.isFlattened()) {
            xml.append("</").append(name).append('>');
        }
    }

    private static void element(StringBuilder xml, String name, String text) {
        xml.append('<').append(name).append('>').append(escape(text)).append("</").append(name).append('>');
    }

    /** Escapes text for an element's content or a double-quoted attribute. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\r' -> out.append("&#13;");
                default -> {
                    // Characters XML 1.0 cannot carry at all are dropped rather than breaking the document.
                    if (c >= 0x20 || c == '\t' || c == '\n') {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
