package hudson.model;

/** jenkinsci/jenkins core. */
public interface Action extends ModelObject {
    String getIconFileName();

    @Override
    String getDisplayName();

    String getUrlName();
}
