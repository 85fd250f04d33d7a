package io.jenkins.plugins.fleetdeploy.harness;

import hudson.Extension;
import java.util.LinkedHashMap;
import java.util.Map;
import net.java.sezpoz.Index;
import net.java.sezpoz.IndexItem;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;

/** The steps Jenkins would offer: every {@code @Extension} StepDescriptor in the SezPoz index, by function name. */
public final class StepRegistry {

    private final Map<String, StepDescriptor> byName = new LinkedHashMap<>();

    public StepRegistry() {
        for (IndexItem<Extension, Object> item : Index.load(Extension.class, Object.class, getClass().getClassLoader())) {
            try {
                if (item.instance() instanceof StepDescriptor d) {
                    byName.put(d.getFunctionName(), d);
                }
            } catch (InstantiationException e) {
                throw new IllegalStateException("cannot create extension " + item.className(), e);
            }
        }
    }

    public StepDescriptor byFunctionName(String name) {
        return byName.get(name);
    }

    public Map<String, StepDescriptor> all() {
        return Map.copyOf(byName);
    }
}
