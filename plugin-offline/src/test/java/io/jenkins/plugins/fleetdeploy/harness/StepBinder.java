package io.jenkins.plugins.fleetdeploy.harness;

import groovy.lang.GString;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * Builds a step from named arguments the way Jenkins' DescribableModel (structs plugin) does:
 * the {@code @DataBoundConstructor} by parameter name (from the {@code .stapler} file Stapler's
 * annotation processor writes, as Jenkins reads it), then {@code @DataBoundSetter}s; a missing
 * constructor argument is passed as null; an unknown argument fails with DescribableModel's
 * message; a value of the wrong type fails with its coercion message.
 */
final class StepBinder {

    /** DescribableModel's key for a single unnamed argument: {@code publishRelease 'x'}. */
    static final String ANONYMOUS_KEY = "delegate";

    private StepBinder() {
    }

    static <T> T instantiate(Class<T> type, Map<String, ?> arguments) throws Exception {
        Constructor<T> constructor = dataBoundConstructor(type);
        String[] names = constructorParameterNames(type, constructor);
        Map<String, Method> setters = setters(type);

        Map<String, ?> args = arguments;
        if (args.containsKey(ANONYMOUS_KEY)) {
            if (names.length != 1) {
                throw new IllegalArgumentException("Arguments to " + type + " have to be explicitly named");
            }
            args = Map.of(names[0], args.get(ANONYMOUS_KEY));
        }
        TreeSet<String> unknown = new TreeSet<>(args.keySet());
        unknown.removeAll(List.of(names));
        unknown.removeAll(setters.keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("WARNING: Unknown parameter(s) found for class type '"
                    + type.getName() + "': " + String.join(",", unknown));
        }

        Object[] values = new Object[names.length];
        Class<?>[] types = constructor.getParameterTypes();
        for (int i = 0; i < names.length; i++) {
            Object a = args.get(names[i]);
            if (a != null) {
                values[i] = coerce(type.getName() + "." + names[i], types[i], a);
            } else if (types[i].isPrimitive()) {
                values[i] = primitiveDefault(types[i]);
            }
        }
        T instance;
        try {
            instance = constructor.newInstance(values);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
        for (Map.Entry<String, Method> setter : setters.entrySet()) {
            if (args.containsKey(setter.getKey())) {
                Method m = setter.getValue();
                Object v = coerce(m.getName(), m.getParameterTypes()[0], args.get(setter.getKey()));
                try {
                    m.invoke(instance, v);
                } catch (InvocationTargetException e) {
                    throw e.getCause() instanceof Exception x ? x : e;
                }
            }
        }
        return instance;
    }

    @SuppressWarnings("unchecked")
    private static <T> Constructor<T> dataBoundConstructor(Class<T> type) {
        for (Constructor<?> c : type.getConstructors()) {
            if (c.isAnnotationPresent(DataBoundConstructor.class)) {
                return (Constructor<T>) c;
            }
        }
        throw new IllegalArgumentException(type + " has no @DataBoundConstructor");
    }

    /** Stapler's ClassDescriptor reads the names its annotation processor wrote next to the class. */
    private static String[] constructorParameterNames(Class<?> type, Constructor<?> constructor) throws IOException {
        String resource = type.getName().replace('.', '/').replace('$', '/') + ".stapler";
        try (InputStream in = type.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String list = p.getProperty("constructor", "");
                return list.isEmpty() ? new String[0] : list.split(",");
            }
        }
        Parameter[] parameters = constructor.getParameters();
        String[] names = new String[parameters.length];
        for (int i = 0; i < parameters.length; i++) {
            if (!parameters[i].isNamePresent()) {
                throw new IllegalStateException("no .stapler file and no -parameters for " + type);
            }
            names[i] = parameters[i].getName();
        }
        return names;
    }

    private static Map<String, Method> setters(Class<?> type) {
        Map<String, Method> setters = new LinkedHashMap<>();
        for (Method m : type.getMethods()) {
            if (m.isAnnotationPresent(DataBoundSetter.class) && m.getParameterCount() == 1
                    && m.getName().startsWith("set") && !Modifier.isStatic(m.getModifiers())) {
                String property = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
                setters.put(property, m);
            }
        }
        return setters;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object coerce(String context, Class<?> type, Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof GString) {
            o = o.toString();
        }
        Class<?> wrapped = wrap(type);
        if (wrapped.isInstance(o)) {
            return o;
        }
        if (o instanceof Number n) {
            if (wrapped == Integer.class) {
                return n.intValue();
            }
            if (wrapped == Long.class) {
                return n.longValue();
            }
            if (wrapped == Double.class) {
                return n.doubleValue();
            }
        }
        if (o instanceof String s && type.isEnum()) {
            return Enum.valueOf((Class<? extends Enum>) type, s);
        }
        throw new ClassCastException(context + " expects " + type + " but received " + o.getClass());
    }

    private static Class<?> wrap(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        if (type == int.class) {
            return Integer.class;
        }
        if (type == boolean.class) {
            return Boolean.class;
        }
        if (type == long.class) {
            return Long.class;
        }
        if (type == double.class) {
            return Double.class;
        }
        throw new IllegalArgumentException("unsupported primitive " + type);
    }

    private static Object primitiveDefault(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == double.class) {
            return 0d;
        }
        return 0;
    }
}
