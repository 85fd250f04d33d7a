package hudson.model;

import hudson.security.AccessControlled;
import hudson.security.Permission;

/** jenkinsci/jenkins core. */
public interface Item extends AccessControlled {

    Permission CONFIGURE = new Permission("hudson.model.Item.Configure");
    Permission EXTENDED_READ = new Permission("hudson.model.Item.ExtendedRead");

    String getName();

    String getFullName();
}
