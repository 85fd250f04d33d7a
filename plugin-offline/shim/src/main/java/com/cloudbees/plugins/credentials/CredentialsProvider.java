package com.cloudbees.plugins.credentials;

import com.cloudbees.plugins.credentials.common.IdCredentials;
import com.cloudbees.plugins.credentials.domains.DomainRequirement;
import hudson.model.Item;
import hudson.model.Run;
import hudson.security.Permission;
import java.util.ArrayList;
import java.util.List;
import org.springframework.security.core.Authentication;

/** jenkinsci/credentials-plugin; the shim looks only in {@link SystemCredentialsProvider} and records tracking. */
public abstract class CredentialsProvider {

    public static final Permission USE_ITEM = new Permission("com.cloudbees.plugins.credentials.CredentialsProvider.UseItem");

    private static final List<String> TRACKED = new java.util.concurrent.CopyOnWriteArrayList<>();

    public static <C extends IdCredentials> C findCredentialById(String id, Class<C> type, Run<?, ?> run,
                                                                 DomainRequirement... domainRequirements) {
        for (Credentials c : SystemCredentialsProvider.getInstance().getCredentials()) {
            if (type.isInstance(c) && id.equals(((IdCredentials) c).getId())) {
                return type.cast(c);
            }
        }
        return null;
    }

    public static <C extends Credentials> List<C> lookupCredentialsInItem(Class<C> type, Item item,
                                                                          Authentication authentication,
                                                                          List<DomainRequirement> domainRequirements) {
        List<C> result = new ArrayList<>();
        for (Credentials c : SystemCredentialsProvider.getInstance().getCredentials()) {
            if (type.isInstance(c)) {
                result.add(type.cast(c));
            }
        }
        return result;
    }

    public static <C extends Credentials> C track(Run build, C credentials) {
        if (credentials instanceof IdCredentials id) {
            TRACKED.add(build.getExternalizableId() + " " + id.getId());
        }
        return credentials;
    }

    /** Not in the real API: lets offline tests check that a build tracked the credential it used. */
    public static List<String> trackedForTests() {
        return List.copyOf(TRACKED);
    }
}
