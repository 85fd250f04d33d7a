package hudson.model;

/** jenkinsci/jenkins core. */
public abstract class SimpleParameterDefinition extends ParameterDefinition {
    private static final long serialVersionUID = 1L;

    protected SimpleParameterDefinition(String name) {
        super(name);
    }

    public abstract ParameterValue createValue(String value);
}
