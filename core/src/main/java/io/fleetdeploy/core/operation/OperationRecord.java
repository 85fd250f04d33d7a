package io.fleetdeploy.core.operation;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What is persisted at {@code operations/<id>.json}: the operation's own state (as JSON, read back
 * by its definition), where it stands, and the undo log. Immutable; every change makes a new record.
 *
 * @param history    the progress lines so far (one per state change), so `operations show` can tell the story
 * @param restoredBy for a drain: the id of the operation that put back what it changed
 * @param apiCalls   cloud API calls this operation made so far, per "Service.Action" (every attempt, retries included)
 */
public record OperationRecord(String id, String kind, String app, String group, String holder,
                              OperationStatus status, OnFailure onFailure, Instant created, Instant updated,
                              String message, String waitingFor, JsonNode state, List<UndoEntry> undo,
                              List<String> history, String restoredBy, Map<String, Long> apiCalls) {

    /** At most this many history lines are kept; the oldest go first. */
    static final int HISTORY_LIMIT = 500;

    public OperationRecord {
        undo = undo == null ? List.of() : List.copyOf(undo);
        history = history == null ? List.of() : List.copyOf(history);
        apiCalls = apiCalls == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(apiCalls));
    }

    /** A record that counted no API calls yet. */
    public OperationRecord(String id, String kind, String app, String group, String holder,
                           OperationStatus status, OnFailure onFailure, Instant created, Instant updated,
                           String message, String waitingFor, JsonNode state, List<UndoEntry> undo,
                           List<String> history, String restoredBy) {
        this(id, kind, app, group, holder, status, onFailure, created, updated, message, waitingFor, state, undo, history,
                restoredBy, Map.of());
    }

    /** Every API call this operation made, all actions together. */
    public long apiCallTotal() {
        return ApiCalls.total(apiCalls);
    }

    public OperationRecord withApiCalls(Map<String, Long> counts) {
        return new OperationRecord(id, kind, app, group, holder, status, onFailure, created, updated, message,
                waitingFor, state, undo, history, restoredBy, counts);
    }

    public OperationRecord withStatus(OperationStatus newStatus, String newMessage, Instant now) {
        return new OperationRecord(id, kind, app, group, holder, newStatus, onFailure, created, now, newMessage,
                null, state, undo, history, restoredBy, apiCalls);
    }

    public OperationRecord withState(JsonNode newState, String newWaitingFor, Instant now) {
        return new OperationRecord(id, kind, app, group, holder, status, onFailure, created, now, message,
                newWaitingFor, newState, undo, history, restoredBy, apiCalls);
    }

    public OperationRecord withUndo(List<UndoEntry> newUndo, Instant now) {
        return new OperationRecord(id, kind, app, group, holder, status, onFailure, created, now, message,
                waitingFor, state, newUndo, history, restoredBy, apiCalls);
    }

    public OperationRecord withHolder(String newHolder) {
        return new OperationRecord(id, kind, app, group, newHolder, status, onFailure, created, updated, message,
                waitingFor, state, undo, history, restoredBy, apiCalls);
    }

    public OperationRecord withRestoredBy(String operationId, Instant now) {
        return new OperationRecord(id, kind, app, group, holder, status, onFailure, created, now, message,
                waitingFor, state, undo, history, operationId, apiCalls);
    }

    public OperationRecord withHistoryLine(String line) {
        List<String> lines = new ArrayList<>(history);
        lines.add(line);
        if (lines.size() > HISTORY_LIMIT) {
            lines = lines.subList(lines.size() - HISTORY_LIMIT, lines.size());
        }
        return new OperationRecord(id, kind, app, group, holder, status, onFailure, created, updated, message,
                waitingFor, state, undo, lines, restoredBy, apiCalls);
    }
}
