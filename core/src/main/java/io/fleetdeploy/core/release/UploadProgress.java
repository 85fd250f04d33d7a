package io.fleetdeploy.core.release;

import io.fleetdeploy.core.ProgressListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import software.amazon.awssdk.transfer.s3.progress.TransferListener;

/** Reports an upload as bytes and MB/s, at most one line a second, plus a line when it ends. */
final class UploadProgress implements TransferListener {

    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private final ProgressListener out;
    private final Clock clock;
    private final String target;
    private final long total;
    private Instant started;
    private Instant lastLine;

    UploadProgress(ProgressListener out, Clock clock, String target, long total) {
        this.out = out;
        this.clock = clock;
        this.target = target;
        this.total = total;
    }

    @Override
    public synchronized void transferInitiated(Context.TransferInitiated context) {
        started = clock.instant();
        lastLine = started;
        out.info("Uploading " + mebibytes(total) + " to " + target);
    }

    @Override
    public synchronized void bytesTransferred(Context.BytesTransferred context) {
        Instant now = clock.instant();
        long done = context.progressSnapshot().transferredBytes();
        if (Duration.between(lastLine, now).compareTo(INTERVAL) >= 0 && done < total) {
            lastLine = now;
            out.info("  " + mebibytes(done) + " of " + mebibytes(total) + rate(done, now));
        }
    }

    @Override
    public synchronized void transferComplete(Context.TransferComplete context) {
        out.info("Uploaded " + mebibytes(total) + rate(total, clock.instant()));
    }

    private String rate(long bytes, Instant now) {
        double seconds = Math.max(Duration.between(started, now).toNanos(), 1_000_000) / 1e9;
        return String.format(Locale.ROOT, " (%.1f s, %.1f MB/s)", seconds, bytes / seconds / 1e6);
    }

    static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB (%d bytes)", bytes / 1048576.0, bytes);
    }
}
