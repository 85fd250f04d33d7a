package jenkins.util;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Test only, never part of the shim: stops {@link Timer} the way a stopping controller does (its
 * running tasks are interrupted, its pending ones dropped) and waits until its threads have ended,
 * so that nothing of the "old controller" still runs. The next {@link Timer#get()} makes a new one.
 */
public final class StoppableTimer {

    private StoppableTimer() {
    }

    public static void stopAndWait(Duration max) throws InterruptedException {
        ScheduledExecutorService stopping;
        synchronized (Timer.class) {
            stopping = Timer.executorService;
            Timer.executorService = null;
        }
        if (stopping == null) {
            return;
        }
        stopping.shutdownNow();
        if (!stopping.awaitTermination(max.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("jenkins.util.Timer's threads did not end within " + max + " after shutdownNow()");
        }
    }
}
