package hudson.model;

import hudson.ExtensionPoint;
import java.io.Serializable;

/** jenkinsci/jenkins core. */
public abstract class ParameterDefinition implements Describable<ParameterDefinition>, ExtensionPoint, Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private String description;

    protected ParameterDefinition(String name) {
        this.name = name;
    }

    public String getName() {
        return name;
    }

    public String getDescription() {
        return description;
    }

    public void setDescription(String description) {
        this.description = description;
    }

    @Override
    public ParameterDescriptor getDescriptor() {
        throw new UnsupportedOperationException("no Jenkins descriptor registry in the offline shim");
    }

    public ParameterValue getDefaultParameterValue() {
        return null;
    }

    public abstract static class ParameterDescriptor extends Descriptor<ParameterDefinition> {
        protected ParameterDescriptor(Class<? extends ParameterDefinition> klazz) {
            super(klazz);
        }

        protected ParameterDescriptor() {
        }
    }
}
