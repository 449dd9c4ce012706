package io.synrep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The reader library's public surface, read from its compiled classes: the generic core ({@code io.synrep.client})
 * is a handful of types whose public signatures name only JDK types and each other (no Jackson, Caffeine or
 * protocol type: the core is meant to become a module of its own), and the Synapse stores
 * ({@code io.synrep.client.synapse}) are a known list too. A new public type, or a foreign type in a public
 * signature of the core, fails here: make it package-private, or change the list on purpose.
 */
class ClientSurfaceTest {
    /** The core: the client and what configuring it takes, rows, tokens and where they are kept, the safe cache. */
    private static final Set<String> CORE = Set.of(
            "ReaderCache",
            "ReplicationClient",
            "ReplicationClient.Builder",
            "ReplicationClient.Clock",
            "ReplicationClient.Refusal",
            "Row",
            "TokenStore",
            "Tokens");

    private static final Set<String> SYNAPSE = Set.of(
            "AccountDataStore",
            "CacheRegistry",
            "CacheRegistry.Stats",
            "EventsStore",
            "EventsStore.Event",
            "EventsStore.Membership",
            "EventsStore.RoomEvent",
            "PresenceStore",
            "PresenceStore.Presence",
            "PushStore",
            "PushStore.PushRule",
            "PushStore.PushRules",
            "PushStore.Pusher",
            "ReceiptsStore",
            "ReceiptsStore.Receipt",
            "SlavedStores",
            "StoreException",
            "StreamChangeCache");

    @Test
    void theCoreHasOnlyItsListedPublicTypes() throws Exception {
        assertEquals(new TreeSet<>(CORE), names(publicTypes("io.synrep.client")));
    }

    @Test
    void theSynapseStoresHaveOnlyTheirListedPublicTypes() throws Exception {
        assertEquals(new TreeSet<>(SYNAPSE), names(publicTypes("io.synrep.client.synapse")));
    }

    @Test
    void theCoresPublicSignaturesNameOnlyJdkAndCoreTypes() throws Exception {
        List<String> foreign = new ArrayList<>();
        for (Class<?> c : publicTypes("io.synrep.client")) {
            check(c.getGenericSuperclass(), c.getName() + " extends", foreign);
            for (Type t : c.getGenericInterfaces()) {
                check(t, c.getName() + " implements", foreign);
            }
            for (Field f : c.getDeclaredFields()) {
                if (visible(f.getModifiers())) {
                    check(f.getGenericType(), c.getName() + "." + f.getName(), foreign);
                }
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (visible(k.getModifiers()) && !k.isSynthetic()) {
                    for (Type t : k.getGenericParameterTypes()) {
                        check(t, c.getName() + " constructor", foreign);
                    }
                }
            }
            for (Method m : c.getDeclaredMethods()) {
                if (visible(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                    String where = c.getName() + "." + m.getName() + "()";
                    check(m.getGenericReturnType(), where, foreign);
                    for (Type t : m.getGenericParameterTypes()) {
                        check(t, where, foreign);
                    }
                    for (Type t : m.getGenericExceptionTypes()) {
                        check(t, where, foreign);
                    }
                }
            }
        }
        assertEquals(List.of(), foreign);
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /** Adds to {@code foreign} every type in {@code t} (type arguments and bounds included) outside the JDK and core. */
    private static void check(Type t, String where, List<String> foreign) {
        if (t == null) {
            return;
        }
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            String pkg = c.getPackageName();
            if (!c.isPrimitive() && !pkg.startsWith("java.") && !pkg.equals("io.synrep.client")) {
                foreign.add(where + ": " + c.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            check(p.getRawType(), where, foreign);
            for (Type a : p.getActualTypeArguments()) {
                check(a, where, foreign);
            }
        } else if (t instanceof GenericArrayType a) {
            check(a.getGenericComponentType(), where, foreign);
        } else if (t instanceof WildcardType w) {
            Stream.of(w.getUpperBounds()).forEach(b -> check(b, where, foreign));
            Stream.of(w.getLowerBounds()).forEach(b -> check(b, where, foreign));
        } else if (t instanceof TypeVariable<?> v) {
            Stream.of(v.getBounds()).forEach(b -> check(b, where, foreign));
        }
    }

    /** The public types of {@code pkg} (not its subpackages): public top-level types and their public members. */
    private static List<Class<?>> publicTypes(String pkg) throws IOException, URISyntaxException,
            ClassNotFoundException {
        Path classes = Path.of(ReplicationClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = classes.resolve(pkg.replace('.', '/'));
        assertTrue(Files.isDirectory(dir), "compiled classes of " + pkg + " in " + dir);
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String simple = f.getFileName().toString().replace(".class", "");
                if (simple.contains("$") || simple.equals("package-info")) {
                    continue; // nested types are found through their enclosing type
                }
                Class<?> c = Class.forName(pkg + "." + simple, false, ClientSurfaceTest.class.getClassLoader());
                if (Modifier.isPublic(c.getModifiers())) {
                    addWithMembers(c, out);
                }
            }
        }
        return out;
    }

    private static void addWithMembers(Class<?> c, List<Class<?>> out) {
        out.add(c);
        for (Class<?> member : c.getDeclaredClasses()) {
            if (visible(member.getModifiers())) {
                addWithMembers(member, out);
            }
        }
    }

    private static Set<String> names(List<Class<?>> types) {
        Set<String> out = new TreeSet<>();
        for (Class<?> c : types) {
            out.add(c.getName().substring(c.getPackageName().length() + 1).replace('$', '.'));
        }
        return out;
    }
}
