package io.jenkins.plugins.fleetdeploy.harness;

import groovy.lang.Closure;
import groovy.lang.MissingMethodException;
import groovy.lang.Script;
import hudson.AbortException;
import hudson.FilePath;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;

/**
 * The base class of a Jenkinsfile run by the harness: the Pipeline basics (node, stage, echo, sh,
 * withEnv, withCredentials, parallel, input, error, writeFile, readFile), and every other call
 * looked up by function name among the plugin's StepDescriptors and bound like DescribableModel.
 */
public abstract class PipelineScript extends Script {

    private Build build() {
        return (Build) getBinding().getVariable("__build");
    }

    private StepRegistry steps() {
        return (StepRegistry) getBinding().getVariable("__steps");
    }

    private void log(String line) {
        build().log().getLogger().println(line);
    }

    public Object node(Closure<?> body) {
        return node("", body);
    }

    public Object node(String label, Closure<?> body) {
        log("[Pipeline] node");
        Scope scope = new Scope(build().scope()).withContext(new FilePath(build().workspace().toFile()));
        return build().runBody(scope, body);
    }

    public Object stage(String name, Closure<?> body) throws AbortException {
        build().checkAborted();
        log("[Pipeline] { (" + name + ")");
        try {
            return build().runBody(new Scope(build().scope()), body);
        } finally {
            log("[Pipeline] } // " + name);
        }
    }

    public void echo(Object message) {
        log("[Pipeline] echo");
        log(String.valueOf(message));
    }

    public void error(Object message) throws AbortException {
        throw new AbortException(String.valueOf(message));
    }

    public Object withEnv(List<?> assignments, Closure<?> body) {
        Scope scope = new Scope(build().scope());
        for (Object a : assignments) {
            String s = a.toString();
            int eq = s.indexOf('=');
            scope.withEnv(s.substring(0, eq), s.substring(eq + 1));
        }
        return build().runBody(scope, body);
    }

    /** The credentials-binding plugin's common bindings; bound values are masked in the log. */
    public Object withCredentials(List<Map<String, Object>> bindings, Closure<?> body) throws IOException {
        Scope scope = new Scope(build().scope());
        for (Map<String, Object> binding : bindings) {
            CredentialBindings.bind(binding, scope, build().log());
        }
        log("[Pipeline] withCredentials");
        return build().runBody(scope, body);
    }

    public Map<String, Object> usernamePassword(Map<String, Object> args) {
        return CredentialBindings.describe("usernamePassword", args);
    }

    public Map<String, Object> string(Map<String, Object> args) {
        return CredentialBindings.describe("string", args);
    }

    public Map<String, Object> aws(Map<String, Object> args) {
        return CredentialBindings.describe("aws", args);
    }

    /** Branches run on their own threads; the build fails after all branches end if any failed. */
    public Object parallel(Map<String, Closure<?>> branches) throws Exception {
        log("[Pipeline] parallel");
        Scope parent = build().scope();
        Map<String, CompletableFuture<Object>> futures = new LinkedHashMap<>();
        for (Map.Entry<String, Closure<?>> branch : branches.entrySet()) {
            if ("failFast".equals(branch.getKey())) {
                continue;
            }
            futures.put(branch.getKey(), CompletableFuture.supplyAsync(() -> {
                log("[Pipeline] { (Branch: " + branch.getKey() + ")");
                return build().runBody(new Scope(parent), branch.getValue());
            }));
        }
        Map<String, Object> results = new LinkedHashMap<>();
        Exception first = null;
        for (Map.Entry<String, CompletableFuture<Object>> f : futures.entrySet()) {
            try {
                results.put(f.getKey(), f.getValue().get(30, TimeUnit.MINUTES));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException c ? c.getCause() : e.getCause();
                log("Failed in branch " + f.getKey());
                if (first == null) {
                    first = cause instanceof Exception x ? x : new RuntimeException(cause);
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return results;
    }

    /** Approved at once, as if a person clicked Proceed; parameters take their default values. */
    public Object input(Object messageOrArgs) {
        String message = messageOrArgs instanceof Map<?, ?> m ? String.valueOf(m.get("message")) : String.valueOf(messageOrArgs);
        log("[Pipeline] input");
        log(message);
        log("Approved by the harness");
        return null;
    }

    public Object sh(Object scriptOrArgs) throws Exception {
        Map<?, ?> args = scriptOrArgs instanceof Map<?, ?> m ? m : Map.of("script", scriptOrArgs);
        String script = String.valueOf(args.get("script"));
        boolean returnStdout = Boolean.TRUE.equals(args.get("returnStdout"));
        boolean returnStatus = Boolean.TRUE.equals(args.get("returnStatus"));
        log("[Pipeline] sh");
        ProcessBuilder pb = new ProcessBuilder("sh", "-xe", "-c", script)
                .directory(build().workspace().toFile())
                .redirectErrorStream(!returnStdout);
        pb.environment().clear();
        pb.environment().putAll(build().environment(build().scope()));
        pb.environment().putIfAbsent("PATH", System.getenv("PATH"));
        Process process = pb.start();
        process.getOutputStream().close();
        CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        CompletableFuture<byte[]> stderr = returnStdout
                ? CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()))
                : CompletableFuture.completedFuture(new byte[0]);
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AbortException("sh did not finish within 10 minutes: " + script);
        }
        String out = new String(stdout.get(), StandardCharsets.UTF_8);
        build().log().getLogger().print(returnStdout ? new String(stderr.get(), StandardCharsets.UTF_8) : out);
        int status = process.exitValue();
        if (returnStatus) {
            return status;
        }
        if (status != 0) {
            throw new AbortException("script returned exit code " + status);
        }
        return returnStdout ? out : null;
    }

    public void writeFile(Map<String, Object> args) throws IOException {
        Path file = build().workspace().resolve(String.valueOf(args.get("file")));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, String.valueOf(args.get("text")));
    }

    public String readFile(Object fileOrArgs) throws IOException {
        Object file = fileOrArgs instanceof Map<?, ?> m ? m.get("file") : fileOrArgs;
        return Files.readString(build().workspace().resolve(String.valueOf(file)));
    }

    public Map<String, String> getEnv() {
        return new EnvView(build());
    }

    public Map<String, Object> getParams() {
        return build().params();
    }

    public Map<String, Object> getCurrentBuild() {
        Map<String, Object> current = new LinkedHashMap<>();
        current.put("number", build().run().getNumber());
        current.put("fullDisplayName", build().run().getFullDisplayName());
        return current;
    }

    /** Any other call is a step of the plugin, found by its function name as Jenkins does. */
    public Object methodMissing(String name, Object argsObject) throws Exception {
        Object[] args = argsObject instanceof Object[] a ? a : new Object[] {argsObject};
        StepDescriptor descriptor = steps().byFunctionName(name);
        if (descriptor == null) {
            throw new MissingMethodException(name, getClass(), args);
        }
        Closure<?> body = null;
        List<Object> rest = new ArrayList<>(List.of(args));
        if (!rest.isEmpty() && rest.get(rest.size() - 1) instanceof Closure<?> c) {
            body = c;
            rest.remove(rest.size() - 1);
        }
        if (body != null && !descriptor.takesImplicitBlockArgument()) {
            throw new IllegalArgumentException(name + " does not take a body block");
        }
        Map<String, Object> named;
        if (rest.isEmpty()) {
            named = Map.of();
        } else if (rest.size() == 1 && rest.get(0) instanceof Map<?, ?> m) {
            named = new LinkedHashMap<>();
            m.forEach((k, v) -> named.put(String.valueOf(k), v));
        } else if (rest.size() == 1) {
            named = Map.of(StepBinder.ANONYMOUS_KEY, rest.get(0));
        } else {
            throw new IllegalArgumentException("Arguments to " + name + " have to be named");
        }
        Step step = StepBinder.instantiate(descriptor.clazz.asSubclass(Step.class), named);
        return build().runStep(descriptor, step, body);
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
