package jenkins.model;

import hudson.security.AccessControlled;
import hudson.security.Permission;

/** jenkinsci/jenkins core; the shim's controller grants every permission (offline tests run as SYSTEM). */
public class Jenkins implements AccessControlled {

    public static final Permission ADMINISTER = new Permission("hudson.model.Hudson.Administer");

    private static final Jenkins INSTANCE = new Jenkins();

    public static Jenkins get() {
        return INSTANCE;
    }

    @Override
    public boolean hasPermission(Permission permission) {
        return true;
    }
}
