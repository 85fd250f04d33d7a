package hudson.security;

import java.util.Collection;
import java.util.List;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;

/** jenkinsci/jenkins core. */
public abstract class ACL {

    public static final Authentication SYSTEM2 = new SystemAuthentication();

    /** In Jenkins: runs the current thread as {@code auth} until the context is closed. */
    public static ACLContext as2(Authentication auth) {
        return new ACLContext();
    }

    private static final class SystemAuthentication implements Authentication {
        private static final long serialVersionUID = 1L;

        @Override
        public Collection<? extends GrantedAuthority> getAuthorities() {
            return List.of();
        }

        @Override
        public Object getCredentials() {
            return null;
        }

        @Override
        public Object getDetails() {
            return null;
        }

        @Override
        public Object getPrincipal() {
            return "SYSTEM";
        }

        @Override
        public boolean isAuthenticated() {
            return true;
        }

        @Override
        public void setAuthenticated(boolean isAuthenticated) {
            throw new IllegalArgumentException("SYSTEM is always authenticated");
        }

        @Override
        public String getName() {
            return "SYSTEM";
        }
    }
}
