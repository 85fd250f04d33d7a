package io.fleetdeploy.sandbox.services;

import io.fleetdeploy.sandbox.aws.AwsServiceError;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * One page of a list as AWS pages it: at most {@code size} items from the position an opaque
 * token names, and the token of the next page (null on the last page).
 */
record Page<T>(List<T> items, String nextToken) {

    private static final String TOKEN_PREFIX = "fleet-sandbox-page:";

    /**
     * @param token        the caller's NextToken/Marker, null for the first page
     * @param requested    the caller's MaxRecords/PageSize/MaxResults, null for the default
     * @param errorCode    the error AWS answers for a bad token or size in this service
     */
    static <T> Page<T> of(List<T> all, String token, Integer requested, int defaultSize, int minSize, int maxSize,
            String errorCode) throws AwsServiceError {
        int size = requested == null ? defaultSize : requested;
        if (size < minSize || size > maxSize) {
            throw new AwsServiceError(400, errorCode, "The page size " + size + " is not between " + minSize + " and "
                    + maxSize + ".");
        }
        int from = token == null || token.isEmpty() ? 0 : decode(token, errorCode);
        if (from > all.size()) {
            throw new AwsServiceError(400, errorCode, "The NextToken is not valid for this list.");
        }
        int to = Math.min(all.size(), from + size);
        return new Page<>(List.copyOf(all.subList(from, to)), to < all.size() ? encode(to) : null);
    }

    private static String encode(int position) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((TOKEN_PREFIX + position).getBytes(StandardCharsets.UTF_8));
    }

    private static int decode(String token, String errorCode) throws AwsServiceError {
        try {
            String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (text.startsWith(TOKEN_PREFIX)) {
                int position = Integer.parseInt(text.substring(TOKEN_PREFIX.length()));
                if (position >= 0) {
                    return position;
                }
            }
        } catch (IllegalArgumentException e) {
            // falls through to the error below, as AWS answers any token it did not issue
        }
        throw new AwsServiceError(400, errorCode, "The NextToken '" + token + "' is not valid.");
    }
}
