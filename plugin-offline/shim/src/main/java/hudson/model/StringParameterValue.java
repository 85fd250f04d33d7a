package hudson.model;

/** jenkinsci/jenkins core. */
public class StringParameterValue extends ParameterValue {
    private static final long serialVersionUID = 1L;

    protected String value;

    public StringParameterValue(String name, String value) {
        super(name);
        this.value = value;
    }

    @Override
    public String getValue() {
        return value;
    }
}
