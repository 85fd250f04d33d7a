package hudson.model;

/** jenkinsci/jenkins core. */
public class StringParameterDefinition extends SimpleParameterDefinition {
    private static final long serialVersionUID = 1L;

    private String defaultValue;
    private boolean trim;

    public StringParameterDefinition(String name) {
        super(name);
    }

    public String getDefaultValue() {
        return defaultValue;
    }

    public void setDefaultValue(String defaultValue) {
        this.defaultValue = defaultValue;
    }

    public boolean isTrim() {
        return trim;
    }

    public void setTrim(boolean trim) {
        this.trim = trim;
    }

    @Override
    public StringParameterValue getDefaultParameterValue() {
        return new StringParameterValue(getName(), defaultValue);
    }

    @Override
    public ParameterValue createValue(String value) {
        return new StringParameterValue(getName(), trim && value != null ? value.trim() : value);
    }
}
