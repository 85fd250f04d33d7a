package io.fleetdeploy.sandbox.aws;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies AWS Signature Version 4 (header and presigned-query authentication) against {@link Users},
 * as AWS does: same canonical request, same string to sign, 15 minutes of allowed clock skew,
 * session tokens required for (and only for) temporary credentials.
 */
final class SigV4Verifier {

    static final String ALGORITHM = "AWS4-HMAC-SHA256";
    private static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
    private static final Duration ALLOWED_SKEW = Duration.ofMinutes(15);
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final HexFormat HEX = HexFormat.of();

    /** A verified request: who signed it, and the region and service of its credential scope. */
    record Verified(Credential credential, String region, String service) {
    }

    /** The scope a request claims before it is verified: enough to route it and answer in its protocol. */
    record Claim(String accessKeyId, String date, String region, String service, String signedHeaders,
                 String signature, String amzDate, boolean presigned, Optional<String> expiresSeconds,
                 Optional<String> securityToken) {
    }

    private final Users users;

    SigV4Verifier(Users users) {
        this.users = users;
    }

    /** Reads the claimed credential scope from the Authorization header or the presigned query. */
    static Claim claim(WireRequest request) throws AuthFailure {
        Optional<String> authorization = request.header("authorization");
        if (authorization.isPresent()) {
            return headerClaim(request, authorization.get());
        }
        Map<String, String> query = new HashMap<>();
        for (String[] pair : queryPairs(request.rawQuery())) {
            query.putIfAbsent(pair[0], pair[1]);
        }
        if (query.containsKey("X-Amz-Signature")) {
            return presignedClaim(query);
        }
        throw new AuthFailure(AuthFailure.Kind.MISSING,
                "Request is missing Authentication Token: sign it with AWS Signature Version 4");
    }

    Verified verify(WireRequest request, Claim claim) throws AuthFailure {
        Credential credential = users.find(claim.accessKeyId()).orElseThrow(() -> new AuthFailure(
                AuthFailure.Kind.UNKNOWN_KEY, "The security token included in the request is invalid."));
        Instant now = users.clock().instant();
        if (credential.temporary()) {
            if (credential.expiredAt(now)) {
                throw new AuthFailure(AuthFailure.Kind.EXPIRED_TOKEN, "The security token included in the request is expired");
            }
            if (!constantTimeEquals(claim.securityToken().orElse(""), credential.sessionToken().orElseThrow())) {
                throw new AuthFailure(AuthFailure.Kind.INVALID_TOKEN, "The security token included in the request is invalid.");
            }
        } else if (claim.securityToken().isPresent()) {
            throw new AuthFailure(AuthFailure.Kind.INVALID_TOKEN, "The security token included in the request is invalid.");
        }
        Instant signedAt = parseAmzDate(claim.amzDate());
        if (!claim.amzDate().startsWith(claim.date())) {
            throw badSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"
                    + claim.date() + "' != '" + claim.amzDate().substring(0, 8) + "'");
        }
        if (claim.presigned()) {
            long expires = claim.expiresSeconds().map(SigV4Verifier::parseExpires).orElse(900L);
            if (now.isAfter(signedAt.plusSeconds(expires)) || now.isBefore(signedAt.minus(ALLOWED_SKEW))) {
                throw badSignature("Signature expired: " + claim.amzDate() + " is outside its validity of " + expires + " seconds");
            }
        } else if (Duration.between(signedAt, now).abs().compareTo(ALLOWED_SKEW) > 0) {
            throw badSignature("Signature expired: " + claim.amzDate() + " is now earlier or later than "
                    + AMZ_DATE.format(now.atOffset(ZoneOffset.UTC)) + " by more than 15 minutes");
        }
        String bodyHash = HEX.formatHex(sha256(request.body()));
        Optional<String> declaredHash = request.header("x-amz-content-sha256");
        if (declaredHash.isPresent() && !declaredHash.get().equalsIgnoreCase(bodyHash)) {
            // These services need the body signed: a declared hash must be the body's.
            throw badSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
        List<String> payloadHashes = new ArrayList<>();
        declaredHash.ifPresent(payloadHashes::add);
        payloadHashes.add(bodyHash);
        if (claim.presigned()) {
            payloadHashes.add(UNSIGNED_PAYLOAD);
        }
        byte[] signingKey = signingKey(credential.secretAccessKey(), claim);
        for (String payloadHash : payloadHashes) {
            String canonical = canonicalRequest(request, claim, payloadHash);
            String stringToSign = ALGORITHM + "\n" + claim.amzDate() + "\n" + scope(claim) + "\n"
                    + HEX.formatHex(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
            String expected = HEX.formatHex(hmac(signingKey, stringToSign));
            if (constantTimeEquals(expected, claim.signature())) {
                return new Verified(credential, claim.region(), claim.service());
            }
        }
        throw badSignature("The request signature we calculated does not match the signature you provided. "
                + "Check your AWS Secret Access Key and signing method.");
    }

    private static Claim headerClaim(WireRequest request, String authorization) throws AuthFailure {
        if (!authorization.startsWith(ALGORITHM + " ")) {
            throw new AuthFailure(AuthFailure.Kind.MISSING, "Authorization header requires the " + ALGORITHM + " algorithm");
        }
        Map<String, String> parts = new HashMap<>();
        for (String part : authorization.substring(ALGORITHM.length() + 1).split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                parts.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
            }
        }
        String amzDate = request.header("x-amz-date").orElseThrow(() -> badSignature(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header"));
        return scopedClaim(parts.get("Credential"), parts.get("SignedHeaders"), parts.get("Signature"), amzDate,
                false, Optional.empty(), request.header("x-amz-security-token"));
    }

    private static Claim presignedClaim(Map<String, String> query) throws AuthFailure {
        if (!ALGORITHM.equals(query.get("X-Amz-Algorithm"))) {
            throw new AuthFailure(AuthFailure.Kind.MISSING, "X-Amz-Algorithm must be " + ALGORITHM);
        }
        String amzDate = Optional.ofNullable(query.get("X-Amz-Date")).orElseThrow(() -> badSignature("X-Amz-Date is missing"));
        return scopedClaim(query.get("X-Amz-Credential"), query.get("X-Amz-SignedHeaders"), query.get("X-Amz-Signature"),
                amzDate, true, Optional.ofNullable(query.get("X-Amz-Expires")),
                Optional.ofNullable(query.get("X-Amz-Security-Token")));
    }

    private static Claim scopedClaim(String credential, String signedHeaders, String signature, String amzDate,
                                     boolean presigned, Optional<String> expires, Optional<String> token) throws AuthFailure {
        if (credential == null || signedHeaders == null || signature == null) {
            throw new AuthFailure(AuthFailure.Kind.MISSING,
                    "Authorization must contain Credential, SignedHeaders and Signature");
        }
        String[] scope = credential.split("/");
        if (scope.length != 5 || !"aws4_request".equals(scope[4])) {
            throw new AuthFailure(AuthFailure.Kind.MISSING,
                    "Credential should be scoped to a valid region and service: <key>/<date>/<region>/<service>/aws4_request");
        }
        return new Claim(scope[0], scope[1], scope[2], scope[3], signedHeaders, signature, amzDate, presigned, expires, token);
    }

    private static String scope(Claim claim) {
        return claim.date() + "/" + claim.region() + "/" + claim.service() + "/aws4_request";
    }

    private static String canonicalRequest(WireRequest request, Claim claim, String payloadHash) throws AuthFailure {
        StringBuilder headers = new StringBuilder();
        for (String name : claim.signedHeaders().split(";")) {
            List<String> values = request.headers().get(name);
            if (values == null) {
                throw badSignature("Signed header " + name + " is not in the request");
            }
            headers.append(name).append(':');
            for (int i = 0; i < values.size(); i++) {
                headers.append(i == 0 ? "" : ",").append(values.get(i).trim().replaceAll(" +", " "));
            }
            headers.append('\n');
        }
        return request.method() + "\n" + canonicalUri(request.rawPath()) + "\n"
                + canonicalQuery(request.rawQuery(), claim.presigned()) + "\n" + headers + "\n"
                + claim.signedHeaders() + "\n" + payloadHash;
    }

    // Services other than S3 sign the already-encoded path encoded once more.
    private static String canonicalUri(String rawPath) {
        if (rawPath == null || rawPath.isEmpty()) {
            return "/";
        }
        List<String> segments = new ArrayList<>();
        for (String segment : rawPath.split("/", -1)) {
            segments.add(uriEncode(segment));
        }
        return String.join("/", segments);
    }

    private static String canonicalQuery(String rawQuery, boolean presigned) {
        List<String[]> encoded = new ArrayList<>();
        for (String[] pair : queryPairs(rawQuery)) {
            if (presigned && pair[0].equals("X-Amz-Signature")) {
                continue;
            }
            encoded.add(new String[] {uriEncode(pair[0]), uriEncode(pair[1])});
        }
        encoded.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        StringBuilder out = new StringBuilder();
        for (String[] pair : encoded) {
            out.append(out.length() == 0 ? "" : "&").append(pair[0]).append('=').append(pair[1]);
        }
        return out.toString();
    }

    /** Decoded name/value pairs of a raw query string; '+' stays '+' as SigV4 clients encode spaces as %20. */
    static List<String[]> queryPairs(String rawQuery) {
        List<String[]> pairs = new ArrayList<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return pairs;
        }
        for (String part : rawQuery.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String name = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? "" : part.substring(eq + 1);
            pairs.add(new String[] {percentDecode(name), percentDecode(value)});
        }
        return pairs;
    }

    static String percentDecode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length()) {
                int high = Character.digit(text.charAt(i + 1), 16);
                int low = Character.digit(text.charAt(i + 2), 16);
                if (high >= 0 && low >= 0) {
                    bytes.write(high * 16 + low);
                    i += 2;
                    continue;
                }
            }
            byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
            bytes.write(encoded, 0, encoded.length);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    static String uriEncode(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    private static Instant parseAmzDate(String amzDate) throws AuthFailure {
        try {
            return LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw badSignature("X-Amz-Date '" + amzDate + "' is not in the ISO-8601 basic format yyyyMMdd'T'HHmmss'Z'");
        }
    }

    private static long parseExpires(String seconds) {
        try {
            return Long.parseLong(seconds);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static byte[] signingKey(String secret, Claim claim) {
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), claim.date());
        key = hmac(key, claim.region());
        key = hmac(key, claim.service());
        return hmac(key, "aws4_request");
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static AuthFailure badSignature(String message) {
        return new AuthFailure(AuthFailure.Kind.BAD_SIGNATURE, message);
    }
}
