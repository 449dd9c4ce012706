package io.synrep.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The mapping rules from tables to streams: data, not code. Built-in catalogs are classpath resources, one per name
 * in {@link #BUILTIN_NAMES}; an operator's file either replaces the built-in one or, with {@code "extends"}, starts
 * from a built-in catalog: its streams replace the built-in streams of the same name in place, {@code "drop"}
 * removes built-in streams, and new streams are appended. Immutable and thread-safe once loaded.
 */
public final class Catalog {
    /** The built-in catalog {@link #builtin()} returns, and that {@code "extends": "builtin"} means by default. */
    public static final String DEFAULT_BUILTIN = "synapse-seed";
    /**
     * The names of the built-in catalogs, each the resource {@code /io/synrep/streams/catalog-NAME.json}:
     * {@code synapse-seed} covers the seed-era Synapse schema of {@code sql/schema.sql}; {@code synapse-current} the
     * current Synapse schema (72 and its deltas), with current Synapse's stream names and row fields.
     */
    public static final List<String> BUILTIN_NAMES = List.of(DEFAULT_BUILTIN, "synapse-current");
    /** What {@code "extends"} says to mean the built-in catalog the caller selected. */
    static final String SELECTED_BUILTIN = "builtin";

    private static final Map<String, Catalog> BUILTINS = new ConcurrentHashMap<>();

    private final Map<String, StreamRule> rules;
    private final List<String> order;

    private Catalog(Map<String, StreamRule> rules) {
        this.rules = Map.copyOf(rules);
        this.order = List.copyOf(rules.keySet());
    }

    /** The built-in catalog {@value #DEFAULT_BUILTIN}. */
    public static Catalog builtin() {
        return builtin(DEFAULT_BUILTIN);
    }

    /**
     * A built-in catalog by name; read once, then shared.
     *
     * @throws CatalogException if {@code name} is not one of {@link #BUILTIN_NAMES}
     */
    public static Catalog builtin(String name) {
        if (!BUILTIN_NAMES.contains(name)) {
            throw new CatalogException("no built-in catalog \"" + name + "\"; the built-in catalogs are "
                    + BUILTIN_NAMES);
        }
        return BUILTINS.computeIfAbsent(name, Catalog::readBuiltin);
    }

    private static Catalog readBuiltin(String name) {
        String resource = resource(name);
        try (InputStream in = Catalog.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("built-in catalog " + resource + " missing from the jar");
            }
            return new Catalog(parse(new ObjectMapper().readTree(in), "built-in catalog \"" + name + "\""));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read built-in catalog " + resource + ": " + e.getMessage(), e);
        }
    }

    /** The classpath resource of the built-in catalog {@code name}. */
    static String resource(String name) {
        return "/io/synrep/streams/catalog-" + name + ".json";
    }

    /**
     * Loads an operator's catalog file, in which {@code "extends": "builtin"} means {@value #DEFAULT_BUILTIN}; see
     * docs/catalog.md for the format.
     *
     * @throws CatalogException naming the file, the stream and what to fix
     */
    public static Catalog load(Path file) {
        return load(file, DEFAULT_BUILTIN);
    }

    /**
     * Loads an operator's catalog file.
     *
     * @param selected the built-in catalog the operator selected, which {@code "extends": "builtin"} means; one of
     *                 {@link #BUILTIN_NAMES}
     * @throws CatalogException naming the file, the stream and what to fix
     */
    public static Catalog load(Path file, String selected) {
        return load(file, selected, Catalog::builtin);
    }

    /** {@link #load(Path, String)} with the built-in catalogs by name from {@code builtins}. */
    static Catalog load(Path file, String selected, Function<String, Catalog> builtins) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new CatalogException("cannot read catalog " + file + ": " + e.getMessage());
        }
        String where = "catalog " + file;
        if (root == null || !root.isObject()) {
            throw new CatalogException(where + " must be a JSON object with a \"streams\" array");
        }
        JsonNode ext = root.get("extends");
        // a file that extends a built-in catalog may only drop streams: "streams" is then optional
        Map<String, StreamRule> own = ext != null && !ext.isNull() && root.get("streams") == null
                ? new LinkedHashMap<>() : parse(root, where);
        JsonNode drop = root.get("drop") == null || root.get("drop").isNull() ? null : root.get("drop");
        if (ext == null || ext.isNull()) {
            if (drop != null) {
                throw new CatalogException(where + ": \"drop\" removes streams of the catalog it extends, so it "
                        + "needs \"extends\" (\"builtin\" or one of " + BUILTIN_NAMES + ")");
            }
            return new Catalog(own);
        }
        if (!ext.isTextual() || !ext.asText().equals(SELECTED_BUILTIN) && !BUILTIN_NAMES.contains(ext.asText())) {
            throw new CatalogException(where + ": \"extends\" must be \"builtin\" (the built-in catalog selected, "
                    + "now \"" + selected + "\") or one of " + BUILTIN_NAMES + ", was " + ext);
        }
        String baseName = ext.asText().equals(SELECTED_BUILTIN) ? selected : ext.asText();
        Catalog base = builtins.apply(baseName);
        Map<String, StreamRule> merged = new LinkedHashMap<>(base.rules());
        if (drop != null) {
            Set<String> dropped = new LinkedHashSet<>();
            for (String name : strings(drop, "drop", where)) {
                if (!dropped.add(name)) {
                    throw new CatalogException(where + ": \"drop\" names stream \"" + name + "\" twice");
                }
                if (!merged.containsKey(name)) {
                    throw new CatalogException(where + ": \"drop\" names stream \"" + name
                            + "\", which the built-in catalog \"" + baseName + "\" does not have; its streams are "
                            + base.streamNames());
                }
                if (own.containsKey(name)) {
                    throw new CatalogException(where + ", stream \"" + name + "\": both dropped and defined; a "
                            + "stream defined here replaces the built-in one, so leave it out of \"drop\"");
                }
                merged.remove(name);
            }
        }
        merged.putAll(own);
        return new Catalog(merged);
    }

    /** This catalog without the named streams (names it does not have are ignored). */
    public Catalog without(java.util.Collection<String> streams) {
        Map<String, StreamRule> kept = new LinkedHashMap<>();
        for (String name : order) {
            if (!streams.contains(name)) {
                kept.put(name, rules.get(name));
            }
        }
        return new Catalog(kept);
    }

    /** Rules by stream name, in catalog order. */
    public Map<String, StreamRule> rules() {
        Map<String, StreamRule> ordered = new LinkedHashMap<>();
        for (String name : order) {
            ordered.put(name, rules.get(name));
        }
        return ordered;
    }

    public List<String> streamNames() {
        return order;
    }

    public StreamRule rule(String name) {
        return rules.get(name);
    }

    /** Each stream's fields, in catalog order (the order the catalog endpoint keeps). */
    public Map<String, List<String>> fieldsByStream() {
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (String name : order) {
            fields.put(name, rules.get(name).fields());
        }
        return fields;
    }

    /** Every table a rule reads ({@code schema.table}), sources and joins: what the publication must contain. */
    public Set<String> tables() {
        Set<String> tables = new LinkedHashSet<>();
        for (String name : order) {
            StreamRule r = rules.get(name);
            r.sources().forEach(s -> tables.add(s.schema() + "." + s.table()));
            r.joins().forEach(j -> tables.add(j.schema() + "." + j.table()));
        }
        return tables;
    }

    /**
     * The columns the rules read, by table ({@code schema.table}): each source's mapped columns (not its constants)
     * and its {@code where} columns, each join's match and value columns. Every catalog table is a key.
     */
    public Map<String, Set<String>> columnsByTable() {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String name : order) {
            StreamRule r = rules.get(name);
            for (StreamRule.Source s : r.sources()) {
                Set<String> cols = out.computeIfAbsent(s.schema() + "." + s.table(), k -> new LinkedHashSet<>());
                cols.addAll(s.columns().values());
                s.where().forEach(f -> cols.add(f.column()));
            }
            for (StreamRule.Join j : r.joins()) {
                Set<String> cols = out.computeIfAbsent(j.schema() + "." + j.table(), k -> new LinkedHashSet<>());
                cols.addAll(j.match().keySet());
                cols.addAll(j.columns().values());
            }
        }
        return out;
    }

    /**
     * The operations the rules need from each table ({@code schema.table}), in {@link #tables()} order: what a
     * publication must publish for it. A source table needs the union of its sources' {@code operations}; a join
     * table needs {@link StreamRule.Operation#INSERT}, because a joined row is written in the same transaction as the
     * row it fills (Synapse inserts a state or redaction row with its event), so an UPDATE or DELETE of a joined row
     * is never needed. A table that is both needs both. Unmodifiable sets.
     */
    public Map<String, Set<StreamRule.Operation>> operationsByTable() {
        Map<String, Set<StreamRule.Operation>> ops = new LinkedHashMap<>();
        for (String name : order) {
            StreamRule r = rules.get(name);
            r.sources().forEach(s -> ops.computeIfAbsent(s.schema() + "." + s.table(),
                    k -> EnumSet.noneOf(StreamRule.Operation.class)).addAll(s.operations()));
            r.joins().forEach(j -> ops.computeIfAbsent(j.schema() + "." + j.table(),
                    k -> EnumSet.noneOf(StreamRule.Operation.class)).add(StreamRule.Operation.INSERT));
        }
        Map<String, Set<StreamRule.Operation>> out = new LinkedHashMap<>();
        ops.forEach((table, set) -> out.put(table, Collections.unmodifiableSet(set)));
        return Collections.unmodifiableMap(out);
    }

    /** The streams that read a table ({@code schema.table}) as a source or a join, in catalog order. */
    public List<String> streamsReading(String table) {
        List<String> out = new ArrayList<>();
        for (String name : order) {
            StreamRule r = rules.get(name);
            boolean reads = r.sources().stream().anyMatch(s -> (s.schema() + "." + s.table()).equals(table))
                    || r.joins().stream().anyMatch(j -> (j.schema() + "." + j.table()).equals(table));
            if (reads) {
                out.add(name);
            }
        }
        return out;
    }

    private static Map<String, StreamRule> parse(JsonNode root, String where) {
        JsonNode streams = root.get("streams");
        if (streams == null || !streams.isArray()) {
            throw new CatalogException(where + ": missing \"streams\" array");
        }
        Map<String, StreamRule> out = new LinkedHashMap<>();
        for (JsonNode s : streams) {
            StreamRule rule = StreamRule.fromJson(s, where);
            if (out.put(rule.name(), rule) != null) {
                throw new CatalogException(where + ": stream \"" + rule.name() + "\" is defined twice");
            }
        }
        return out;
    }

    static List<String> strings(JsonNode node, String what, String where) {
        if (node == null || !node.isArray()) {
            throw new CatalogException(where + ": \"" + what + "\" must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode n : node) {
            if (!n.isTextual() || n.asText().isEmpty()) {
                throw new CatalogException(where + ": \"" + what + "\" must hold non-empty strings, found " + n);
            }
            out.add(n.asText());
        }
        return out;
    }

    static Map<String, String> stringMap(JsonNode node, String what, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw new CatalogException(where + ": \"" + what + "\" must be an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new CatalogException(where + ": \"" + what + "." + e.getKey() + "\" must be a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }
}
