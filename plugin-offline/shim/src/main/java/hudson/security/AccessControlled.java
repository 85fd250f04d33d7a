package hudson.security;

/** jenkinsci/jenkins core (there hasPermission is a default method over getACL()). */
public interface AccessControlled {
    boolean hasPermission(Permission permission);
}
