package io.synrep.streams;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One stream: its name, ordered field names (after the implicit position column), the tables whose changes
 * produce its rows, and joins that fill fields from other tables' rows in the same transaction.
 *
 * @param json the fields whose text values are JSON to embed as such ({@link JsonText}), whichever source or join
 *             fills them
 */
public record StreamRule(String name, List<String> fields, List<Source> sources, List<Join> joins,
                         Set<String> json) {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    /** Row-producing operations. */
    public enum Operation { INSERT, UPDATE, DELETE }

    /**
     * A table whose changes produce rows.
     *
     * @param where     conditions on the row that must all hold for it to produce a row (none: every row does)
     * @param columns   field name to source column, for every field the source reads from its rows
     * @param constants field name to the value the source supplies for that field of every row instead of a column:
     *                  a {@link String}, {@link Boolean}, an integral {@link Number} ({@link Integer}, {@link Long} or
     *                  {@link java.math.BigInteger}), a finite {@link Double}, or null for SQL NULL; unmodifiable,
     *                  in catalog order. No field is in both maps.
     * @param updateWhenChanged columns of which an UPDATE must change at least one to produce a row (empty: every
     *                  UPDATE does), e.g. the stream id an upsert moves, so that bookkeeping updates of other columns
     *                  (a pusher's progress) are not stream rows. Where the WAL does not say whether a column changed
     *                  (no old row, and the column is not part of a non-FULL replica identity) the UPDATE produces its
     *                  row: a doubt never drops one.
     */
    public record Source(String schema, String table, Set<Operation> operations, List<Filter> where,
                         Map<String, String> columns, Map<String, Object> constants, List<String> updateWhenChanged) {
        public Source(String schema, String table, Set<Operation> operations, List<Filter> where,
                      Map<String, String> columns, Map<String, Object> constants) {
            this(schema, table, operations, where, columns, constants, List.of());
        }
    }

    /**
     * Rows of {@code table} in the same transaction fill fields of this stream's rows.
     *
     * @param match   join-table column to stream field that must be equal
     * @param columns stream field to join-table column that fills it
     */
    public record Join(String schema, String table, Map<String, String> match, Map<String, String> columns) {}

    static StreamRule fromJson(JsonNode s, String where) {
        if (!s.isObject()) {
            throw new CatalogException(where + ": each stream must be an object, found " + s);
        }
        String name = s.path("name").asText("");
        if (!NAME.matcher(name).matches()) {
            throw new CatalogException(where + ": stream name \"" + name
                    + "\" must be lower-case letters, digits and underscores, starting with a letter");
        }
        if (name.equals("streams")) {
            throw new CatalogException(where + ": \"streams\" is reserved for the meta stream");
        }
        String at = where + ", stream \"" + name + "\"";
        List<String> fields = Catalog.strings(s.get("fields"), "fields", at);
        if (fields.isEmpty()) {
            throw new CatalogException(at + ": \"fields\" must name at least one field");
        }
        if (fields.contains("position") || fields.size() != Set.copyOf(fields).size()) {
            throw new CatalogException(at + ": \"fields\" must be distinct and must not contain \"position\" (it is implicit)");
        }
        Set<String> json = new java.util.LinkedHashSet<>();
        JsonNode jsonNode = s.get("json");
        if (jsonNode != null && !jsonNode.isNull()) {
            for (String f : Catalog.strings(jsonNode, "json", at)) {
                if (!fields.contains(f)) {
                    throw new CatalogException(at + ": \"json\" names \"" + f + "\", which is not one of its fields "
                            + fields);
                }
                json.add(f);
            }
        }
        JsonNode srcs = s.get("sources");
        if (srcs == null || !srcs.isArray() || srcs.isEmpty()) {
            throw new CatalogException(at + ": \"sources\" must be a non-empty array");
        }
        List<Join> joins = new ArrayList<>();
        JsonNode js = s.get("joins");
        if (js != null && !js.isNull()) {
            if (!js.isArray()) {
                throw new CatalogException(at + ": \"joins\" must be an array");
            }
            for (JsonNode j : js) {
                String table = requireText(j, "table", at);
                Map<String, String> match = Catalog.stringMap(j.get("match"), "match", at);
                Map<String, String> cols = Catalog.stringMap(j.get("columns"), "columns", at);
                if (match.isEmpty() || cols.isEmpty()) {
                    throw new CatalogException(at + ": join on \"" + table + "\" needs \"match\" and \"columns\"");
                }
                for (String f : match.values()) {
                    requireField(fields, f, at);
                }
                for (String f : cols.keySet()) {
                    requireField(fields, f, at);
                }
                joins.add(new Join(j.path("schema").asText("public"), table, match, cols));
            }
        }
        List<Source> sources = new ArrayList<>();
        for (JsonNode src : srcs) {
            String table = requireText(src, "table", at);
            Set<Operation> ops = EnumSet.noneOf(Operation.class);
            JsonNode opsNode = src.get("operations");
            List<String> opNames = opsNode == null ? List.of("insert", "update") : Catalog.strings(opsNode, "operations", at);
            for (String op : opNames) {
                try {
                    ops.add(Operation.valueOf(op.toUpperCase()));
                } catch (IllegalArgumentException e) {
                    throw new CatalogException(at + ": operation \"" + op + "\" is not one of insert, update, delete");
                }
            }
            String srcAt = at + ", source \"" + table + "\"";
            List<Filter> filters = new ArrayList<>();
            JsonNode w = src.get("where");
            if (w != null && w.isArray()) {
                w.forEach(f -> filters.add(Filter.fromJson(f, srcAt)));
            } else if (w != null && !w.isNull()) {
                filters.add(Filter.fromJson(w, srcAt));
            }
            Map<String, String> cols = new java.util.LinkedHashMap<>(Catalog.stringMap(src.get("columns"), "columns", at));
            for (String f : cols.keySet()) {
                requireField(fields, f, at);
            }
            Map<String, Object> constants = constants(src.get("constants"), fields, cols.keySet(), srcAt);
            for (String f : fields) {
                boolean joined = joins.stream().anyMatch(j -> j.columns().containsKey(f));
                if (!cols.containsKey(f) && !constants.containsKey(f) && !joined) {
                    cols.put(f, f);
                }
            }
            List<String> changed = src.has("update_when_changed")
                    ? Catalog.strings(src.get("update_when_changed"), "update_when_changed", srcAt) : List.of();
            if (!changed.isEmpty() && !ops.contains(Operation.UPDATE)) {
                throw new CatalogException(srcAt + ": \"update_when_changed\" needs \"update\" in \"operations\"");
            }
            sources.add(new Source(src.path("schema").asText("public"), table, Set.copyOf(ops), List.copyOf(filters),
                    Map.copyOf(cols), constants, List.copyOf(changed)));
        }
        return new StreamRule(name, List.copyOf(fields), List.copyOf(sources), List.copyOf(joins),
                Collections.unmodifiableSet(json));
    }

    /** A source's {@code "constants"}: field to JSON scalar, as Java values the row encoder writes alike. */
    private static Map<String, Object> constants(JsonNode node, List<String> fields, Set<String> columns, String at) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return Collections.unmodifiableMap(out);
        }
        if (!node.isObject()) {
            throw new CatalogException(at + ": \"constants\" must be an object of field to a string, number, "
                    + "boolean or null, was " + node);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = e.getKey();
            JsonNode v = e.getValue();
            if (!fields.contains(field)) {
                throw new CatalogException(at + ": \"constants\" names \"" + field + "\", which is not one of its "
                        + "fields " + fields);
            }
            if (columns.contains(field)) {
                throw new CatalogException(at + ": field \"" + field + "\" is in both \"columns\" and "
                        + "\"constants\"; a field is read from a column or given a constant, not both");
            }
            Object value;
            if (v.isNull()) {
                value = null;
            } else if (v.isTextual()) {
                value = v.textValue();
            } else if (v.isBoolean()) {
                value = v.booleanValue();
            } else if (v.isIntegralNumber()) {
                value = v.numberValue();
            } else if (v.isNumber() && Double.isFinite(v.doubleValue())) {
                value = v.doubleValue();
            } else {
                throw new CatalogException(at + ": \"constants." + field + "\" must be a string, a finite number, "
                        + "a boolean or null, was " + v);
            }
            out.put(field, value);
        }
        return Collections.unmodifiableMap(out);
    }

    private static String requireText(JsonNode n, String key, String at) {
        String v = n.path(key).asText("");
        if (v.isEmpty()) {
            throw new CatalogException(at + ": missing \"" + key + "\"");
        }
        return v;
    }

    private static void requireField(List<String> fields, String f, String at) {
        if (!fields.contains(f)) {
            throw new CatalogException(at + ": \"" + f + "\" is not one of its fields " + fields);
        }
    }
}
