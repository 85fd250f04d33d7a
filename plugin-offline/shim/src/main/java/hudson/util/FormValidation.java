package hudson.util;

import java.io.IOException;

/** jenkinsci/jenkins core. */
public abstract class FormValidation extends IOException {
    private static final long serialVersionUID = 1L;

    public enum Kind { OK, WARNING, ERROR }

    public final Kind kind;

    protected FormValidation(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public static FormValidation ok() {
        return new Result(Kind.OK, null);
    }

    public static FormValidation ok(String message) {
        return new Result(Kind.OK, message);
    }

    public static FormValidation warning(String message) {
        return new Result(Kind.WARNING, message);
    }

    public static FormValidation error(String message) {
        return new Result(Kind.ERROR, message);
    }

    private static final class Result extends FormValidation {
        private static final long serialVersionUID = 1L;

        Result(Kind kind, String message) {
            super(kind, message);
        }
    }
}
