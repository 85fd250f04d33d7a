package io.jenkins.plugins.fleetdeploy.harness;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import groovy.lang.Closure;
import hudson.EnvVars;
import hudson.model.Run;
import hudson.model.TaskListener;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jenkinsci.plugins.workflow.steps.BodyExecution;
import org.jenkinsci.plugins.workflow.steps.BodyExecutionCallback;
import org.jenkinsci.plugins.workflow.steps.BodyInvoker;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepExecution;

/**
 * The StepContext the harness gives a step: the build's TaskListener, Run and EnvVars, the
 * context objects of enclosing blocks, a body when the step was called with one, and the
 * step's outcome. Serializable the way Jenkins' is: by reference, so an execution saved and
 * read back ("a controller restart") gets a fresh context object for the same step.
 */
public final class HarnessContext extends StepContext {

    private static final long serialVersionUID = 1L;

    /** Live contexts by id: the stand-in for Jenkins' FlowExecution lookup when a context is read back. */
    private static final Map<String, Live> LIVE = new ConcurrentHashMap<>();

    private final String id;
    private final transient Live live;

    private HarnessContext(String id, Live live) {
        this.id = id;
        this.live = live;
    }

    static HarnessContext create(Build build, Scope scope, Closure<?> body, String functionName) {
        String id = UUID.randomUUID().toString();
        Live live = new Live(build, scope, body, functionName);
        LIVE.put(id, live);
        return new HarnessContext(id, live);
    }

    @Override
    public <T> T get(Class<T> key) {
        if (key == TaskListener.class) {
            return key.cast(live.build.log());
        }
        if (key == Run.class || key == TestRun.class) {
            return key.cast(live.build.run());
        }
        if (key == EnvVars.class) {
            return key.cast(live.build.environment(live.scope));
        }
        return live.scope.find(key);
    }

    @Override
    public void onSuccess(Object result) {
        live.outcome.complete(result);
    }

    @Override
    public void onFailure(Throwable t) {
        live.outcome.completeExceptionally(t);
    }

    @Override
    public boolean isReady() {
        return true;
    }

    @Override
    public ListenableFuture<Void> saveState() {
        live.saves++;
        return Futures.immediateVoidFuture();
    }

    @Override
    public BodyInvoker newBodyInvoker() {
        if (live.body == null) {
            throw new IllegalStateException(live.functionName + " was called without a body");
        }
        return new Invoker();
    }

    @Override
    public boolean hasBody() {
        return live.body != null;
    }

    /** Waits, with a deadline, for the step to call onSuccess or onFailure. */
    Object await(Duration timeout) throws Exception {
        try {
            return live.outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        } catch (TimeoutException e) {
            throw new TimeoutException("The step " + live.functionName + " did not finish within " + timeout
                    + "; it said: " + live.build.statusOf(this));
        }
    }

    boolean isDone() {
        return live.outcome.isDone();
    }

    int saves() {
        return live.saves;
    }

    String functionName() {
        return live.functionName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HarnessContext other && other.id.equals(id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    private Object writeReplace() throws ObjectStreamException {
        return new Ref(id);
    }

    private record Ref(String id) implements Serializable {
        private Object readResolve() throws ObjectStreamException {
            Live live = LIVE.get(id);
            if (live == null) {
                throw new java.io.InvalidObjectException("no running step " + id);
            }
            return new HarnessContext(id, live);
        }
    }

    private static final class Live {
        final Build build;
        final Scope scope;
        final Closure<?> body;
        final String functionName;
        final CompletableFuture<Object> outcome = new CompletableFuture<>();
        volatile int saves;

        Live(Build build, Scope scope, Closure<?> body, String functionName) {
            this.build = build;
            this.scope = scope;
            this.body = body;
            this.functionName = functionName;
        }
    }

    /** Runs the body in the calling thread with the added context, then reports to the callback. */
    private final class Invoker extends BodyInvoker {
        private final Scope bodyScope = new Scope(live.scope);
        private BodyExecutionCallback callback;

        @Override
        public BodyInvoker withContext(Object override) {
            bodyScope.withContext(override);
            return this;
        }

        @Override
        public BodyInvoker withDisplayName(String name) {
            return this;
        }

        @Override
        public BodyInvoker withCallback(BodyExecutionCallback callback) {
            this.callback = callback;
            return this;
        }

        @Override
        public BodyExecution start() {
            HarnessContext bodyContext = HarnessContext.this;
            if (callback != null) {
                callback.onStart(bodyContext);
            }
            try {
                Object result = live.build.runBody(bodyScope, live.body);
                if (callback != null) {
                    callback.onSuccess(bodyContext, result);
                }
            } catch (Throwable t) {
                if (callback != null) {
                    callback.onFailure(bodyContext, t);
                }
            }
            return new Finished();
        }
    }

    private static final class Finished extends BodyExecution {
        private static final long serialVersionUID = 1L;

        @Override
        public Collection<StepExecution> getCurrentExecutions() {
            return List.of();
        }

        @Override
        public boolean cancel(Throwable t) {
            return false;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return false;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public boolean isDone() {
            return true;
        }

        @Override
        public Object get() {
            return null;
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return null;
        }
    }
}
