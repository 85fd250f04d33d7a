package io.fleetdeploy.sandbox.aws;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.protocol.MarshallLocation;
import software.amazon.awssdk.core.util.SdkAutoConstructList;
import software.amazon.awssdk.core.util.SdkAutoConstructMap;
import software.amazon.awssdk.utils.builder.Buildable;

/** Finds the SDK's model classes of an action by name and builds them through their SdkField setters. */
final class ModelBinding {

    private static final Pattern ACTION = Pattern.compile("[A-Z][A-Za-z0-9]{0,127}");
    // An upper-case run not followed by lower case (an acronym), a capitalised word, or digits.
    private static final Pattern WORD = Pattern.compile("[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+|[0-9]+");

    private final Map<String, Optional<Method>> requestBuilders = new ConcurrentHashMap<>();

    /** A fresh builder of {@code <modelPackage>.<action>Request}, or empty when the action does not exist. */
    Optional<SdkPojo> requestBuilder(String modelPackage, String action) {
        return builderMethod(modelPackage, action).map(ModelBinding::invokeBuilder);
    }

    /** The static builder() of the action's request class, found without initialising the class. */
    Optional<Method> builderMethod(String modelPackage, String action) {
        if (action == null || !ACTION.matcher(action).matches()) {
            return Optional.empty();
        }
        return requestBuilders.computeIfAbsent(modelPackage + "." + action, key -> builderMethod(modelPackage + "." + action + "Request")
                .or(() -> builderMethod(modelPackage + "." + sdkClassName(action) + "Request")));
    }

    /**
     * The SDK's class-name spelling of an operation: each word capitalised, the rest lower case, so
     * DescribeDBInstances becomes DescribeDbInstances.
     */
    static String sdkClassName(String action) {
        StringBuilder name = new StringBuilder(action.length());
        Matcher word = WORD.matcher(action);
        while (word.find()) {
            String text = word.group();
            name.append(Character.toUpperCase(text.charAt(0))).append(text.substring(1).toLowerCase(Locale.ROOT));
        }
        return name.toString();
    }

    private static Optional<Method> builderMethod(String className) {
        try {
            Class<?> type = Class.forName(className, false, ModelBinding.class.getClassLoader());
            if (!AwsRequest.class.isAssignableFrom(type)) {
                return Optional.empty();
            }
            return Optional.of(type.getMethod("builder"));
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            return Optional.empty();
        }
    }

    private static SdkPojo invokeBuilder(Method builder) {
        try {
            return (SdkPojo) builder.invoke(null);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("the SDK model builder " + builder + " cannot be called", e);
        }
    }

    static Object build(SdkPojo builder) {
        return ((Buildable) builder).build();
    }

    /** Whether the field travels in the body (every member of the Query and JSON 1.1 services we answer). */
    static boolean inPayload(SdkField<?> field) {
        return field.location() == MarshallLocation.PAYLOAD;
    }

    /** The field's value, or null when unset (the SDK's auto-constructed empty collections count as unset). */
    static Object valueOf(SdkField<?> field, Object pojo) {
        Object value = field.getValueOrDefault(pojo);
        if (value instanceof SdkAutoConstructList || value instanceof SdkAutoConstructMap) {
            return null;
        }
        return value;
    }
}
