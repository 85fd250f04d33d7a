package io.fleetdeploy.core;

import java.util.Objects;

/**
 * The one exception a user of fleet-deploy sees. Its message always says three things:
 * what failed, what was left as it was, and what to do about it. A build log or a terminal
 * shows it without a stack trace; the cause is kept for debugging.
 *
 * <p>Never put a secret (password, secret key, session token, IAM auth token) in any part of it.
 */
public class FleetDeployException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String whatFailed;
    private final String leftUnchanged;
    private final String whatToDo;

    public FleetDeployException(String whatFailed, String leftUnchanged, String whatToDo) {
        this(whatFailed, leftUnchanged, whatToDo, null);
    }

    public FleetDeployException(String whatFailed, String leftUnchanged, String whatToDo, Throwable cause) {
        super(compose(whatFailed, leftUnchanged, whatToDo), cause);
        this.whatFailed = Objects.requireNonNull(whatFailed, "whatFailed");
        this.leftUnchanged = leftUnchanged;
        this.whatToDo = whatToDo;
    }

    /** An input that was refused before anything was changed. */
    public static FleetDeployException invalidInput(String whatFailed, String whatToDo) {
        return new FleetDeployException(whatFailed, "Nothing was changed.", whatToDo);
    }

    public String whatFailed() {
        return whatFailed;
    }

    public String leftUnchanged() {
        return leftUnchanged;
    }

    public String whatToDo() {
        return whatToDo;
    }

    private static String compose(String whatFailed, String leftUnchanged, String whatToDo) {
        StringBuilder message = new StringBuilder(whatFailed);
        if (leftUnchanged != null && !leftUnchanged.isBlank()) {
            message.append(' ').append(leftUnchanged);
        }
        if (whatToDo != null && !whatToDo.isBlank()) {
            message.append(' ').append(whatToDo);
        }
        return message.toString();
    }
}
