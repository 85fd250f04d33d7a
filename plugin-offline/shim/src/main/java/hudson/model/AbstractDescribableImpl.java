package hudson.model;

/** jenkinsci/jenkins core. Outside Jenkins there is no descriptor registry, so there is nothing to return. */
public abstract class AbstractDescribableImpl<T extends AbstractDescribableImpl<T>> implements Describable<T> {
    @Override
    public Descriptor<T> getDescriptor() {
        throw new UnsupportedOperationException("no Jenkins descriptor registry in the offline shim");
    }
}
