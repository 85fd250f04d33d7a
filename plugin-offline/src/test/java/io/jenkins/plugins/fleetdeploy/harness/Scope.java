package io.jenkins.plugins.fleetdeploy.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a block adds for the code inside it: context objects (BodyInvoker.withContext) and
 * environment variables (withEnv, withCredentials). Inner scopes shadow outer ones, as in a
 * Pipeline, where only one object of a class is in the context at a time.
 */
final class Scope {

    private final Scope parent;
    private final List<Object> contextObjects = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();

    Scope(Scope parent) {
        this.parent = parent;
    }

    Scope withContext(Object o) {
        contextObjects.add(o);
        return this;
    }

    Scope withEnv(String name, String value) {
        env.put(name, value);
        return this;
    }

    <T> T find(Class<T> key) {
        for (int i = contextObjects.size() - 1; i >= 0; i--) {
            if (key.isInstance(contextObjects.get(i))) {
                return key.cast(contextObjects.get(i));
            }
        }
        return parent != null ? parent.find(key) : null;
    }

    void applyEnv(Map<String, String> target) {
        if (parent != null) {
            parent.applyEnv(target);
        }
        target.putAll(env);
    }
}
