package io.fleetdeploy.sandbox;

import java.util.List;

/**
 * A sandbox configuration with mistakes. It lists every mistake with its place (a JSON path),
 * so a user fixes the file in one go; it is thrown before anything starts.
 */
public final class SandboxConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final transient List<String> mistakes;

    public SandboxConfigException(String source, List<String> mistakes) {
        super(describe(source, mistakes));
        this.mistakes = List.copyOf(mistakes);
    }

    /** Each mistake as "place: what is wrong". */
    public List<String> mistakes() {
        return mistakes;
    }

    private static String describe(String source, List<String> mistakes) {
        StringBuilder text = new StringBuilder("The sandbox configuration ").append(source).append(" has ")
                .append(mistakes.size()).append(mistakes.size() == 1 ? " mistake" : " mistakes")
                .append("; nothing was started:");
        mistakes.forEach(mistake -> text.append(System.lineSeparator()).append("  - ").append(mistake));
        return text.append(System.lineSeparator()).append("Fix the file and start the sandbox again.").toString();
    }
}
