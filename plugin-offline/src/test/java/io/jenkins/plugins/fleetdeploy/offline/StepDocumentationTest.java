package io.jenkins.plugins.fleetdeploy.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.jenkins.plugins.fleetdeploy.harness.StepRegistry;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.junit.jupiter.api.Test;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * The Snippet Generator and the step reference are built from config.jelly and the help files:
 * every fleet step has both, every argument has its help (found up the class hierarchy, as
 * Jenkins' Descriptor.getHelpFile looks), and config.jelly names only real arguments.
 */
class StepDocumentationTest {

    private static final Pattern FIELD = Pattern.compile("field=\"([^\"]+)\"");

    private final StepRegistry steps = new StepRegistry();

    @Test
    void theStepsAreFoundByTheirFunctionNames() {
        assertThat(steps.all().keySet()).containsOnly("withFleet", "publishRelease", "migrateSchema",
                "flipSchemaKey", "drainGroup", "rolloutGroup", "switchTraffic");
    }

    @Test
    void everyStepHasConfigHelpAndHelpForEachArgument() throws Exception {
        List<String> missing = new ArrayList<>();
        for (StepDescriptor d : steps.all().values()) {
            Class<?> step = d.clazz;
            for (String page : List.of("config.jelly", "help.html")) {
                if (resource(step, page) == null) {
                    missing.add(step.getSimpleName() + "/" + page);
                }
            }
            for (String field : arguments(step)) {
                if (helpFor(step, field) == null) {
                    missing.add(step.getSimpleName() + "/help-" + field + ".html");
                }
            }
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void configPagesAreWellFormedAndNameOnlyRealArguments() throws Exception {
        for (StepDescriptor d : steps.all().values()) {
            Class<?> step = d.clazz;
            Set<String> named = new TreeSet<>(fieldsIn(step, "config.jelly"));
            named.addAll(fieldsIn(io.jenkins.plugins.fleetdeploy.steps.FleetStep.class, "fleet-fields.jelly"));
            named.addAll(fieldsIn(io.jenkins.plugins.fleetdeploy.steps.DatabaseStep.class, "database-fields.jelly"));
            named.addAll(fieldsIn(io.jenkins.plugins.fleetdeploy.steps.FleetOperationStep.class, "operation-fields.jelly"));
            assertThat(arguments(step)).as(step.getSimpleName() + " arguments in its form").isSubsetOf(named);
            assertThat(fieldsIn(step, "config.jelly")).as(step.getSimpleName() + " form fields").isSubsetOf(arguments(step));
        }
        assertThat(getClass().getResource("/index.jelly")).isNotNull();
    }

    private static Set<String> arguments(Class<?> step) throws Exception {
        Set<String> names = new TreeSet<>();
        try (InputStream in = step.getClassLoader().getResourceAsStream(step.getName().replace('.', '/') + ".stapler")) {
            Properties p = new Properties();
            p.load(in);
            for (String n : p.getProperty("constructor", "").split(",")) {
                if (!n.isEmpty()) {
                    names.add(n);
                }
            }
        }
        for (Method m : step.getMethods()) {
            if (m.isAnnotationPresent(DataBoundSetter.class)) {
                names.add(Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4));
            }
        }
        return names;
    }

    private static Set<String> fieldsIn(Class<?> owner, String page) throws Exception {
        try (InputStream in = resource(owner, page)) {
            byte[] bytes = in.readAllBytes();
            DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new java.io.ByteArrayInputStream(bytes));
            Set<String> fields = new TreeSet<>();
            Matcher m = FIELD.matcher(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
            while (m.find()) {
                fields.add(m.group(1));
            }
            return fields;
        }
    }

    private static InputStream helpFor(Class<?> step, String field) {
        for (Class<?> c = step; c != null; c = c.getSuperclass()) {
            InputStream in = resource(c, "help-" + field + ".html");
            if (in != null) {
                return in;
            }
        }
        return null;
    }

    private static InputStream resource(Class<?> owner, String page) {
        return owner.getClassLoader().getResourceAsStream(owner.getName().replace('.', '/').replace('$', '/') + "/" + page);
    }
}
