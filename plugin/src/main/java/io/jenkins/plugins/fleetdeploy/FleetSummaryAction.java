package io.jenkins.plugins.fleetdeploy;

import hudson.model.Run;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import jenkins.model.RunAction2;

/**
 * The build's fleet operations: a table on the build page ({@code summary.jelly}) and a page with
 * every batch ({@code index.jelly}, at {@code <build>/fleet-deploy/}).
 */
public final class FleetSummaryAction implements RunAction2 {

    private final List<FleetOperationRecord> operations = new ArrayList<>();
    private transient Run<?, ?> run;

    /** Adds an operation to the run's summary (creating it on first use) and saves the run. */
    public static void record(Run<?, ?> run, FleetOperationRecord operation) throws IOException {
        synchronized (run) {
            FleetSummaryAction action = run.getAction(FleetSummaryAction.class);
            if (action == null) {
                action = new FleetSummaryAction();
                run.addAction(action);
            }
            action.add(operation);
            run.save();
        }
    }

    private synchronized void add(FleetOperationRecord operation) {
        operations.add(operation);
    }

    public synchronized List<FleetOperationRecord> getOperations() {
        return List.copyOf(operations);
    }

    public Run<?, ?> getRun() {
        return run;
    }

    @Override
    public void onAttached(Run<?, ?> r) {
        this.run = r;
    }

    @Override
    public void onLoad(Run<?, ?> r) {
        this.run = r;
    }

    @Override
    public String getIconFileName() {
        return "symbol-list-outline plugin-ionicons-api";
    }

    @Override
    public String getDisplayName() {
        return "Fleet operations";
    }

    @Override
    public String getUrlName() {
        return "fleet-deploy";
    }
}
