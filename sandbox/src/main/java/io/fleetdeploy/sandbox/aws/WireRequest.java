package io.fleetdeploy.sandbox.aws;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One HTTP request as it came over the wire: header names in lower case, the body as bytes. */
record WireRequest(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body) {

    Optional<String> header(String lowerCaseName) {
        List<String> values = headers.get(lowerCaseName);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }
}
