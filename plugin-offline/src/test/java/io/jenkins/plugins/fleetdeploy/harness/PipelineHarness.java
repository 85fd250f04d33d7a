package io.jenkins.plugins.fleetdeploy.harness;

import com.cloudbees.plugins.credentials.Credentials;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import groovy.lang.Binding;
import groovy.lang.GroovyShell;
import hudson.AbortException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.codehaus.groovy.control.CompilerConfiguration;

/**
 * Runs Jenkinsfiles (scripted Pipeline) against the plugin's real Step classes. Credentials go in
 * the global store, as with JenkinsRule's SystemCredentialsProvider. Not CPS: each step runs on
 * the calling thread, and a step that returns false from start() is awaited with a deadline.
 */
public final class PipelineHarness {

    private final Path root;
    private final StepRegistry steps = new StepRegistry();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final AtomicInteger builds = new AtomicInteger();
    private Duration stepTimeout = Duration.ofMinutes(5);
    private final java.util.Set<String> bindOnly = new java.util.TreeSet<>();
    private final Map<String, String> boundFailures = new LinkedHashMap<>();

    public PipelineHarness(Path root) {
        this.root = root;
        SystemCredentialsProvider.getInstance().getCredentials().clear();
    }

    public PipelineHarness credentials(Credentials... credentials) {
        SystemCredentialsProvider.getInstance().getCredentials().addAll(java.util.List.of(credentials));
        return this;
    }

    /** Environment every build sees, like global properties on the controller. */
    public PipelineHarness env(String name, String value) {
        env.put(name, value);
        return this;
    }

    public PipelineHarness stepTimeout(Duration timeout) {
        this.stepTimeout = timeout;
        return this;
    }

    /**
     * Steps that are bound (so every argument is checked as Jenkins would) but not run, for
     * Jenkinsfiles whose fleet steps need a cloud the test does not have; the log says so.
     */
    public PipelineHarness bindOnly(String... functionNames) {
        bindOnly.addAll(java.util.List.of(functionNames));
        return this;
    }

    /**
     * Like {@link #bindOnly}, but the bound step then fails the way the real one fails when its operation does not
     * succeed (an AbortException with this message), so that a Jenkinsfile's failure handling runs.
     */
    public PipelineHarness bindOnlyAndFail(String functionName, String message) {
        bindOnly.add(functionName);
        boundFailures.put(functionName, message);
        return this;
    }

    public StepRegistry steps() {
        return steps;
    }

    public BuildResult run(String script) throws Exception {
        return run(script, Map.of());
    }

    public BuildResult run(String script, Map<String, Object> params) throws Exception {
        return start(script, params).result().get();
    }

    /** Starts a build on its own thread: tests can watch it, abort it, or serialize its steps. */
    public Running start(String script, Map<String, Object> params) throws IOException {
        int number = builds.incrementAndGet();
        Path workspace = Files.createDirectories(root.resolve("workspace-" + number));
        TestRun run = new TestRun(new TestJob("folder/deploy-shop"), number);
        Build build = new Build(run, env, params, workspace, stepTimeout, bindOnly, boundFailures);
        CompletableFuture<BuildResult> result = CompletableFuture.supplyAsync(() -> execute(build, script));
        return new Running(build, result);
    }

    private BuildResult execute(Build build, String script) {
        CompilerConfiguration config = new CompilerConfiguration();
        config.setScriptBaseClass(PipelineScript.class.getName());
        Binding binding = new Binding();
        binding.setVariable("__build", build);
        binding.setVariable("__steps", steps);
        PrintStream log = build.log().getLogger();
        log.println("[Pipeline] Start of Pipeline");
        String result;
        Throwable failure = null;
        try {
            new GroovyShell(PipelineHarness.class.getClassLoader(), binding, config).evaluate(script, "Jenkinsfile");
            result = "SUCCESS";
        } catch (Throwable t) {
            failure = t;
            result = build.aborted() ? "ABORTED" : "FAILURE";
            if (t instanceof AbortException) {
                log.println("ERROR: " + t.getMessage());
            } else {
                StringWriter trace = new StringWriter();
                t.printStackTrace(new PrintWriter(trace));
                log.print(trace);
            }
        }
        log.println("[Pipeline] End of Pipeline");
        log.println("Finished: " + result);
        return new BuildResult(result, build.log().text(), failure, build.run());
    }

    /**
     * A step's execution made as the Pipeline engine makes it (bound from arguments, given a
     * context), but not started: for tests of stop(), serialization and onResume().
     */
    public StepUnderTest prepare(String functionName, Map<String, Object> arguments, Object... contextObjects) throws Exception {
        Path workspace = Files.createDirectories(root.resolve("workspace-" + builds.incrementAndGet()));
        Build build = new Build(new TestRun(new TestJob("folder/deploy-shop"), builds.get()), env, Map.of(), workspace,
                stepTimeout, java.util.Set.of(), Map.of());
        Scope scope = new Scope(null);
        for (Object o : contextObjects) {
            scope.withContext(o);
        }
        org.jenkinsci.plugins.workflow.steps.StepDescriptor d = steps.byFunctionName(functionName);
        org.jenkinsci.plugins.workflow.steps.Step step = StepBinder.instantiate(d.clazz.asSubclass(org.jenkinsci.plugins.workflow.steps.Step.class), arguments);
        HarnessContext context = HarnessContext.create(build, scope, null, functionName);
        return new StepUnderTest(build, context, step.start(context));
    }

    /** A prepared step: its build (log, run), its context (outcome) and its execution. */
    public record StepUnderTest(Build build, HarnessContext context, org.jenkinsci.plugins.workflow.steps.StepExecution execution) {
        public Object outcome(Duration timeout) throws Exception {
            return context.await(timeout);
        }
    }

    /** A build in progress. */
    public record Running(Build build, CompletableFuture<BuildResult> result) {
    }
}
