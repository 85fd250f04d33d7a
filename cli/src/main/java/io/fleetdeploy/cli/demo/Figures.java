package io.fleetdeploy.cli.demo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the samples of one run say: requests, non-2xx, skewed responses, latency percentiles and the
 * per-second series the HTML report draws.
 *
 * <p>A response is skewed when the code that served it had a schema key the database did not have at
 * any moment the request was open. The database's key over time is known from the flips: each
 * committed between the moment its call was made and the moment it returned, so a request open
 * across that interval is given the benefit of the doubt. The code's key is X-Code-Schema-Key, or, for
 * code that does not report one (pull workers), the schema key of the release named by X-App-Version.
 * A node that reports a database key other than its code's (X-Db-Schema-Key) is skewed too.
 *
 * @param skewFirstMillis sent time of the first skewed response (-1 when none)
 * @param skewLastMillis  receive time of the last skewed response (-1 when none)
 */
public record Figures(long requests, long non2xx, long noAnswer, long skewed, long skewFirstMillis, long skewLastMillis,
                      long p50Millis, long p99Millis, long maxMillis, List<Second> seconds) {

    /** One second of load: requests sent in it, how many were not 2xx, how many were skewed. */
    public record Second(int second, int requests, int errors, int skewed) {
    }

    public static Figures of(List<Sample> samples, String initialKey, List<KeyFlip> flips, Map<String, String> keyOfVersion) {
        long non2xx = 0;
        long noAnswer = 0;
        long skewed = 0;
        long skewFirst = -1;
        long skewLast = -1;
        long[] latencies = new long[samples.size()];
        int lastSecond = samples.isEmpty() ? -1 : (int) (samples.get(samples.size() - 1).sentMillis() / 1000);
        int[] perSecond = new int[lastSecond + 1];
        int[] errorsPerSecond = new int[lastSecond + 1];
        int[] skewPerSecond = new int[lastSecond + 1];
        int i = 0;
        for (Sample sample : samples) {
            int second = (int) Math.max(0, sample.sentMillis() / 1000);
            perSecond[second]++;
            latencies[i++] = sample.latencyMillis();
            if (!sample.ok()) {
                non2xx++;
                errorsPerSecond[second]++;
                if (sample.status() == 0) {
                    noAnswer++;
                }
                continue;
            }
            if (isSkewed(sample, initialKey, flips, keyOfVersion)) {
                skewed++;
                skewPerSecond[second]++;
                skewFirst = skewFirst < 0 ? sample.sentMillis() : Math.min(skewFirst, sample.sentMillis());
                skewLast = Math.max(skewLast, sample.receivedMillis());
            }
        }
        Arrays.sort(latencies);
        List<Second> seconds = new ArrayList<>();
        for (int s = 0; s <= lastSecond; s++) {
            seconds.add(new Second(s, perSecond[s], errorsPerSecond[s], skewPerSecond[s]));
        }
        return new Figures(samples.size(), non2xx, noAnswer, skewed, skewFirst, skewLast, percentile(latencies, 50),
                percentile(latencies, 99), latencies.length == 0 ? 0 : latencies[latencies.length - 1], List.copyOf(seconds));
    }

    static boolean isSkewed(Sample sample, String initialKey, List<KeyFlip> flips, Map<String, String> keyOfVersion) {
        String code = sample.codeKey() != null ? sample.codeKey() : keyOfVersion.get(sample.appVersion());
        if (sample.codeKey() != null && sample.dbKey() != null && !sample.codeKey().equals(sample.dbKey())) {
            return true;
        }
        if (code == null) {
            return false;
        }
        // Key i holds from flip i (committed no earlier than its beforeMillis) until flip i+1 (no later than its afterMillis).
        String key = initialKey;
        long from = Long.MIN_VALUE;
        for (int f = 0; f <= flips.size(); f++) {
            long until = f < flips.size() ? flips.get(f).afterMillis() : Long.MAX_VALUE;
            boolean possible = sample.receivedMillis() >= from && sample.sentMillis() < until;
            if (possible && Objects.equals(key, code)) {
                return false;
            }
            if (f < flips.size()) {
                key = flips.get(f).to();
                from = flips.get(f).beforeMillis();
            }
        }
        return true;
    }

    /** Nearest-rank percentile of sorted values. */
    static long percentile(long[] sorted, int percent) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
