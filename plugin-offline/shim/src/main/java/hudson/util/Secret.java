package hudson.util;

import java.io.Serializable;

/** jenkinsci/jenkins core: the shim holds the plain text (Jenkins encrypts it); toString never shows it. */
public final class Secret implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public static Secret fromString(String data) {
        return new Secret(data == null ? "" : data);
    }

    public String getPlainText() {
        return value;
    }

    @Override
    public String toString() {
        return "Secret[****]";
    }
}
