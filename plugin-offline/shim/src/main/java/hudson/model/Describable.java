package hudson.model;

/** jenkinsci/jenkins core. */
public interface Describable<T extends Describable<T>> {
    Descriptor<T> getDescriptor();
}
