package hudson.security;

/** jenkinsci/jenkins core; the shim keeps only the identity of a permission. */
public final class Permission {
    private final String id;

    public Permission(String id) {
        this.id = id;
    }

    public String getId() {
        return id;
    }

    @Override
    public String toString() {
        return "Permission[" + id + "]";
    }
}
