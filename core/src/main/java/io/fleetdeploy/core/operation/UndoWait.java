package io.fleetdeploy.core.operation;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the undo of one undo-log entry waits for (an SSM install putting the previous version back,
 * instances serving healthy again), persisted in its {@link UndoEntry}: later ticks ask the effects
 * again instead of a thread waiting in them, and a resume in another process waits on the same thing
 * instead of making the change again (an install already running is not sent a second time).
 *
 * @param step        which wait of the inverse this is, in the effects' own words (e.g. "installEnds")
 * @param since       when this wait began; its bound counts from here, across ticks and resumes
 * @param instanceIds the instances it is about
 * @param commandIds  instance id -> id of the SSM command the undo sent; empty when it sent none
 * @param waitingFor  for status displays and messages, e.g. "fleet-agent install 1.0 to end on i-1"
 * @param pollEvery   how long the runner waits before asking again
 */
public record UndoWait(String step, Instant since, List<String> instanceIds, Map<String, String> commandIds,
                       String waitingFor, Duration pollEvery) {

    public UndoWait {
        instanceIds = instanceIds == null ? List.of() : List.copyOf(instanceIds);
        commandIds = commandIds == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(commandIds));
    }

    /** Whether {@code bound}, counted from {@link #since}, has passed at {@code now}. */
    public boolean boundPassed(Duration bound, Instant now) {
        return !now.isBefore(since.plus(bound));
    }
}
