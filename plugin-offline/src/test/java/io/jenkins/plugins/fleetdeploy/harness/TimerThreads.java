package io.jenkins.plugins.fleetdeploy.harness;

import java.util.Arrays;
import java.util.List;

/** Looks at jenkins.util.Timer's threads: the long steps must hold none of them while they wait. */
public final class TimerThreads {

    private TimerThreads() {
    }

    /** Adds the state and stack of every jenkins.util.Timer thread now waiting inside the engine or step to {@code blocked}. */
    public static void collectWaitingInTheEngine(List<String> blocked) {
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().equals("jenkins.util.Timer") && waitsInTheEngine(stack)) {
                blocked.add(thread.getState() + " " + Arrays.toString(stack));
            }
        });
    }

    /**
     * Whether a thread's stack shows it waiting inside fleet-deploy's engine or step: in a Sleeper (the
     * engine's only way to wait), or in Thread.sleep, Object.wait or LockSupport.park called by our code.
     * The AWS SDK's own frames (an HTTP call under way) do not count: that is a call, not a wait.
     */
    static boolean waitsInTheEngine(StackTraceElement[] stack) {
        for (int i = 0; i < stack.length; i++) {
            StackTraceElement frame = stack[i];
            boolean ours = frame.getClassName().startsWith("io.fleetdeploy.") || frame.getClassName().startsWith("io.jenkins.plugins.fleetdeploy.");
            if (!ours) {
                continue;
            }
            if (frame.getClassName().contains("Sleeper") || frame.getMethodName().equals("awaitRequested")) {
                return true;
            }
            if (i > 0) {
                StackTraceElement callee = stack[i - 1];
                String called = callee.getClassName() + "." + callee.getMethodName();
                if (called.equals("java.lang.Thread.sleep") || called.equals("java.lang.Object.wait")
                        || called.startsWith("java.util.concurrent.locks.LockSupport.park")) {
                    return true;
                }
            }
        }
        return false;
    }
}
