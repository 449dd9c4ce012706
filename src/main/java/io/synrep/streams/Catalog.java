package io.synrep.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The mapping rules from tables to streams: data, not code. The built-in catalog (Synapse's streams) is a
 * classpath resource; an operator's file either replaces it or, with {@code "extends": "builtin"}, adds streams
 * and overrides built-in streams of the same name. Immutable and thread-safe once loaded.
 */
public final class Catalog {
    static final String BUILTIN_RESOURCE = "/io/synrep/streams/catalog.json";

    private final Map<String, StreamRule> rules;

    private Catalog(Map<String, StreamRule> rules) {
        this.rules = Map.copyOf(rules);
        this.order = List.copyOf(rules.keySet());
    }

    private final List<String> order;

    public static Catalog builtin() {
        try (InputStream in = Catalog.class.getResourceAsStream(BUILTIN_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("built-in catalog " + BUILTIN_RESOURCE + " missing from the jar");
            }
            return new Catalog(parse(new ObjectMapper().readTree(in), "built-in catalog"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read built-in catalog: " + e.getMessage(), e);
        }
    }

    /** Loads an operator's catalog file; see the README for the format. */
    public static Catalog load(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new CatalogException("cannot read catalog " + file + ": " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new CatalogException("catalog " + file + " must be a JSON object with a \"streams\" array");
        }
        Map<String, StreamRule> own = parse(root, "catalog " + file);
        JsonNode ext = root.get("extends");
        if (ext == null || ext.isNull()) {
            return new Catalog(own);
        }
        if (!ext.asText().equals("builtin")) {
            throw new CatalogException("catalog " + file + ": \"extends\" may only be \"builtin\", was " + ext);
        }
        Map<String, StreamRule> merged = new LinkedHashMap<>(builtin().rules());
        merged.putAll(own);
        return new Catalog(merged);
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
     * The columns the rules read, by table ({@code schema.table}): each source's mapped columns and its
     * {@code where} column, each join's match and value columns. Every catalog table is a key.
     */
    public Map<String, Set<String>> columnsByTable() {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String name : order) {
            StreamRule r = rules.get(name);
            for (StreamRule.Source s : r.sources()) {
                Set<String> cols = out.computeIfAbsent(s.schema() + "." + s.table(), k -> new LinkedHashSet<>());
                cols.addAll(s.columns().values());
                if (s.where() != null) {
                    cols.add(s.where().column());
                }
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
     * The operations the catalog needs from each table ({@code schema.table}): the union of its sources' operations;
     * a table read only by joins needs INSERTs (joined rows are written with the row they fill).
     */
    public Map<String, Set<StreamRule.Operation>> operationsByTable() {
        Map<String, Set<StreamRule.Operation>> out = new LinkedHashMap<>();
        for (String name : order) {
            StreamRule r = rules.get(name);
            for (StreamRule.Source s : r.sources()) {
                out.computeIfAbsent(s.schema() + "." + s.table(),
                        k -> java.util.EnumSet.noneOf(StreamRule.Operation.class)).addAll(s.operations());
            }
            for (StreamRule.Join j : r.joins()) {
                out.computeIfAbsent(j.schema() + "." + j.table(),
                        k -> java.util.EnumSet.noneOf(StreamRule.Operation.class)).add(StreamRule.Operation.INSERT);
            }
        }
        return out;
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
