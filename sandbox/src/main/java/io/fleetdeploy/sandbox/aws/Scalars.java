package io.fleetdeploy.sandbox.aws;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.protocol.MarshallingKnownType;

/** Text <-> value of the SDK's scalar marshalling types, as the Query protocols carry them. */
final class Scalars {

    private Scalars() {
    }

    static boolean isScalar(SdkField<?> field) {
        MarshallingKnownType type = field.marshallingType().getKnownType();
        return type != null && switch (type) {
            case STRING, INTEGER, LONG, SHORT, BYTE, FLOAT, DOUBLE, BIG_DECIMAL, BOOLEAN, INSTANT, SDK_BYTES -> true;
            default -> false;
        };
    }

    /**
     * Parses a Query parameter's text into the field's type.
     *
     * @throws IllegalArgumentException with what the value should have been
     */
    static Object parse(SdkField<?> field, String text) {
        MarshallingKnownType type = field.marshallingType().getKnownType();
        try {
            return switch (type) {
                case STRING -> text;
                case INTEGER -> Integer.valueOf(text.trim());
                case LONG -> Long.valueOf(text.trim());
                case SHORT -> Short.valueOf(text.trim());
                case BYTE -> Byte.valueOf(text.trim());
                case FLOAT -> Float.valueOf(text.trim());
                case DOUBLE -> Double.valueOf(text.trim());
                case BIG_DECIMAL -> new BigDecimal(text.trim());
                case BOOLEAN -> parseBoolean(text);
                case INSTANT -> parseInstant(text);
                case SDK_BYTES -> SdkBytes.fromByteArray(Base64.getDecoder().decode(text.trim()));
                default -> throw new IllegalArgumentException("it is not a simple value");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(switch (type) {
                case INTEGER, LONG, SHORT, BYTE -> "it must be a whole number";
                default -> "it must be a number";
            });
        }
    }

    /** The Query (XML) text of a scalar value. */
    static String format(Object value) {
        if (value instanceof Instant instant) {
            return DateTimeFormatter.ISO_INSTANT.format(instant);
        }
        if (value instanceof SdkBytes bytes) {
            return Base64.getEncoder().encodeToString(bytes.asByteArrayUnsafe());
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.toPlainString();
        }
        return String.valueOf(value);
    }

    private static Boolean parseBoolean(String text) {
        String trimmed = text.trim();
        if (trimmed.equalsIgnoreCase("true")) {
            return Boolean.TRUE;
        }
        if (trimmed.equalsIgnoreCase("false")) {
            return Boolean.FALSE;
        }
        throw new IllegalArgumentException("it must be true or false");
    }

    static Instant parseInstant(String text) {
        String trimmed = text.trim();
        try {
            return OffsetDateTime.parse(trimmed, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException notIso) {
            try {
                return Instant.ofEpochMilli(new BigDecimal(trimmed).movePointRight(3).longValueExact());
            } catch (NumberFormatException | ArithmeticException notEpoch) {
                throw new IllegalArgumentException("it must be an ISO-8601 timestamp such as 2024-01-31T12:00:00Z");
            }
        }
    }
}
