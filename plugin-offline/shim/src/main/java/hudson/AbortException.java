package hudson;

import java.io.IOException;

/** jenkinsci/jenkins core: a failure whose message is shown without a stack trace. */
public class AbortException extends IOException {
    private static final long serialVersionUID = 1L;

    public AbortException() {
    }

    public AbortException(String message) {
        super(message);
    }
}
