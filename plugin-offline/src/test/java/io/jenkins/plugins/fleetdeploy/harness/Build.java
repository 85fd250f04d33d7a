package io.jenkins.plugins.fleetdeploy.harness;

import groovy.lang.Closure;
import hudson.AbortException;
import hudson.EnvVars;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;

/** One running build: its Run, log, environment, workspace and the step executions in flight. */
public final class Build {

    private final TestRun run;
    private final MaskingLog log = new MaskingLog();
    private final EnvVars baseEnv;
    private final Map<String, Object> params;
    private final Path workspace;
    private final Duration stepTimeout;
    private final ThreadLocal<Scope> current;
    private final Map<HarnessContext, StepExecution> running = new ConcurrentHashMap<>();
    private volatile Throwable abortCause;
    private final java.util.Set<String> bindOnly;
    private final Map<String, String> boundFailures;

    Build(TestRun run, Map<String, String> env, Map<String, Object> params, Path workspace, Duration stepTimeout,
          java.util.Set<String> bindOnly, Map<String, String> boundFailures) {
        this.bindOnly = java.util.Set.copyOf(bindOnly);
        this.boundFailures = Map.copyOf(boundFailures);
        this.run = run;
        this.baseEnv = run.getEnvironment(log);
        this.baseEnv.putAll(env);
        this.baseEnv.put("WORKSPACE", workspace.toString());
        this.params = params;
        this.workspace = workspace;
        this.stepTimeout = stepTimeout;
        Scope root = new Scope(null);
        this.current = ThreadLocal.withInitial(() -> root);
    }

    public TestRun run() {
        return run;
    }

    public MaskingLog log() {
        return log;
    }

    Path workspace() {
        return workspace;
    }

    Map<String, Object> params() {
        return params;
    }

    EnvVars baseEnv() {
        return baseEnv;
    }

    Scope scope() {
        return current.get();
    }

    void enter(Scope scope) {
        current.set(scope);
    }

    EnvVars environment(Scope scope) {
        EnvVars env = new EnvVars(baseEnv);
        scope.applyEnv(env);
        return env;
    }

    /** Runs a block's code with its scope, then restores the enclosing scope. */
    Object runBody(Scope scope, Closure<?> body) {
        Scope outer = current.get();
        current.set(scope);
        try {
            return body.call();
        } finally {
            current.set(outer);
        }
    }

    /** Starts a step as the Pipeline engine does and waits (bounded) for its outcome. */
    Object runStep(StepDescriptor descriptor, Step step, Closure<?> body) throws Exception {
        checkAborted();
        log.getLogger().println("[Pipeline] " + descriptor.getFunctionName());
        if (bindOnly.contains(descriptor.getFunctionName())) {
            log.getLogger().println("[harness] " + descriptor.getFunctionName() + " bound (" + step.getClass().getSimpleName()
                    + "), not run: this test has no fleet for it");
            String failure = boundFailures.get(descriptor.getFunctionName());
            if (failure != null) {
                throw new AbortException(failure);
            }
            return new java.util.LinkedHashMap<String, Object>();
        }
        HarnessContext context = HarnessContext.create(this, current.get(), body, descriptor.getFunctionName());
        for (Class<?> type : descriptor.getRequiredContext()) {
            if (context.get(type) == null) {
                // workflow-step-api's MissingContextVariableException, as a Pipeline shows it
                throw new IllegalStateException("Required context " + type + " is missing\nPerhaps you forgot to surround the "
                        + descriptor.getFunctionName() + " step with a step that provides this, such as: node");
            }
        }
        StepExecution execution = step.start(context);
        running.put(context, execution);
        try {
            execution.start();
            return context.await(stepTimeout);
        } finally {
            running.remove(context);
        }
    }

    /** What Jenkins does on "Abort": asks every running step to stop. */
    public void abort() throws Exception {
        abortCause = new AbortException("Aborted by the test");
        for (StepExecution execution : running.values()) {
            execution.stop(abortCause);
        }
    }

    /** The status line of the step that owns the context, as the thread dump page shows it. */
    String statusOf(HarnessContext context) {
        StepExecution execution = running.get(context);
        String status = execution != null ? execution.getStatus() : null;
        return status != null ? status : "(no status)";
    }

    /**
     * A controller restart as Jenkins makes one: jenkins.util.Timer is shut down (its running tasks
     * interrupted), so is the plugin's BackgroundWork (its @Terminator: running migrations are
     * cancelled on the database and report nothing), each running step's execution is saved as
     * program.dat keeps it and read back,
     * and onResume() is called on the copy, which a new timer then ticks. The copies replace the
     * originals in this build, so {@link #abort()} stops them; the steps report to the same context.
     */
    public java.util.List<StepExecution> restartController() throws Exception {
        jenkins.util.StoppableTimer.stopAndWait(java.time.Duration.ofMinutes(2));
        io.jenkins.plugins.fleetdeploy.BackgroundWork.shutdown();
        Map<HarnessContext, StepExecution> resumed = new java.util.LinkedHashMap<>();
        for (Map.Entry<HarnessContext, StepExecution> e : running.entrySet()) {
            resumed.put(e.getKey(), ProgramDat.load(ProgramDat.save(e.getValue())));
        }
        log.getLogger().println("[harness] controller restarted; resuming " + resumed.size() + " step(s)");
        running.putAll(resumed);
        for (StepExecution execution : resumed.values()) {
            execution.onResume();
        }
        return java.util.List.copyOf(resumed.values());
    }

    /** The executions in flight, for tests that serialize one (a controller restart) or stop it. */
    public Map<HarnessContext, StepExecution> running() {
        return Map.copyOf(running);
    }

    boolean aborted() {
        return abortCause != null;
    }

    void checkAborted() throws AbortException {
        if (abortCause != null) {
            throw new AbortException("Aborted by the test");
        }
    }
}
