package hudson.model;

/** jenkinsci/jenkins core. */
public interface ModelObject {
    String getDisplayName();
}
