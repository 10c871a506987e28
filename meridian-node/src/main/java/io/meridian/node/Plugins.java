package io.meridian.node;

import java.lang.reflect.InvocationTargetException;

/** Instantiates the user classes a configuration names (conflict resolvers, projections), or says what is wrong. */
public final class Plugins {
    private Plugins() {
    }

    /**
     * @param where what names the class, for the error ("keyspace 'carts': resolver com.example.R")
     * @throws NodeStartException naming it, the class and what is wrong with it
     */
    public static <T> T instantiate(String where, String className, Class<T> type) {
        try {
            Class<?> c = Class.forName(className);
            if (!type.isAssignableFrom(c)) {
                throw new NodeStartException(where + " does not implement " + type.getName());
            }
            return type.cast(c.getConstructor().newInstance());
        } catch (ClassNotFoundException e) {
            throw new NodeStartException(where + " is not on the class path (add its jar to the node's class path)");
        } catch (NoSuchMethodException | IllegalAccessException | InstantiationException e) {
            throw new NodeStartException(where + " needs a public no-argument constructor (" + e + ")");
        } catch (InvocationTargetException e) {
            throw new NodeStartException(where + " failed to construct: " + e.getCause());
        }
    }
}
