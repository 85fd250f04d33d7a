package hudson;

/** jenkinsci/jenkins core. */
public interface ExtensionPoint {
}
