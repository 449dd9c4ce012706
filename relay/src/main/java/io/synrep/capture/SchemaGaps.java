package io.synrep.capture;

import io.synrep.streams.Catalog;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the writer's database lacks of what the catalog reads, at one moment: tables that do not exist, columns
 * that do not exist (dropped or renamed), and existing tables that are not in the publication (so their changes
 * never reach the slot). Found with two catalog queries; used at start (the relay refuses or repairs) and while
 * streaming (each stream's state in {@code /health}).
 *
 * @param missingTables  catalog tables ({@code schema.table}) that do not exist
 * @param missingColumns columns ({@code schema.table.column}) the catalog reads from an existing table that lacks them
 * @param unpublished    existing catalog tables that are not in the publication
 * @param unsafe         catalog tables whose UPDATE and DELETE PostgreSQL refuses because the relay's publications
 *                       publish them and the table has no usable replica identity (its key was dropped or changed
 *                       after the relay started): the writer's statements fail until the identity is restored
 */
public record SchemaGaps(List<String> missingTables, List<String> missingColumns, List<String> unpublished,
                         List<String> unsafe) {
    public SchemaGaps(List<String> missingTables, List<String> missingColumns, List<String> unpublished) {
        this(missingTables, missingColumns, unpublished, List.of());
    }

    /** The state of a stream with no gap. */
    public static final String OK = "ok";

    public boolean isEmpty() {
        return missingTables.isEmpty() && missingColumns.isEmpty() && unpublished.isEmpty() && unsafe.isEmpty();
    }

    /**
     * Looks the catalog's tables and columns up in the database, and the tables in the publication.
     *
     * @param columnsByTable the columns each catalog table must have ({@link Catalog#columnsByTable()})
     */
    public static SchemaGaps find(Connection conn, Map<String, Set<String>> columnsByTable, String publication)
            throws SQLException {
        return find(conn, columnsByTable, List.of(publication));
    }

    /**
     * As {@link #find(Connection, Map, String)}, where a table counts as published when it is in any of
     * {@code publications} (the relay's publication per operation, {@link Publications#names()}).
     */
    public static SchemaGaps find(Connection conn, Map<String, Set<String>> columnsByTable, List<String> publications)
            throws SQLException {
        Map<String, Set<String>> present = new HashMap<>();
        Array names = conn.createArrayOf("text", columnsByTable.keySet().toArray());
        try (PreparedStatement ps = conn.prepareStatement("SELECT n.nspname || '.' || c.relname, a.attname "
                + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                + "WHERE c.relkind IN ('r', 'p') AND n.nspname || '.' || c.relname = ANY (?)")) {
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Set<String> cols = present.computeIfAbsent(rs.getString(1), k -> new HashSet<>());
                    if (rs.getString(2) != null) {
                        cols.add(rs.getString(2));
                    }
                }
            }
        }
        Set<String> published = new HashSet<>();
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("text", publications.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    published.add(rs.getString(1));
                }
            }
        }
        List<String> missingTables = new ArrayList<>();
        List<String> missingColumns = new ArrayList<>();
        List<String> unpublished = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : columnsByTable.entrySet()) {
            Set<String> cols = present.get(e.getKey());
            if (cols == null) {
                missingTables.add(e.getKey());
                continue;
            }
            for (String c : e.getValue()) {
                if (!cols.contains(c)) {
                    missingColumns.add(e.getKey() + "." + c);
                }
            }
            if (!published.contains(e.getKey())) {
                unpublished.add(e.getKey());
            }
        }
        List<String> unsafe = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT DISTINCT pt.schemaname || '.' || pt.tablename"
                + " FROM pg_publication_tables pt JOIN pg_publication p ON p.pubname = pt.pubname"
                + " JOIN pg_namespace n ON n.nspname = pt.schemaname"
                + " JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename"
                + " WHERE pt.pubname = ANY (?) AND (p.pubupdate OR p.pubdelete) AND NOT (c.relreplident = 'f'"
                + " OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid"
                + "   AND i.indisprimary))"
                + " OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid"
                + "   AND i.indisreplident)))")) {
            ps.setArray(1, conn.createArrayOf("text", publications.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (columnsByTable.containsKey(rs.getString(1))) {
                        unsafe.add(rs.getString(1));
                    }
                }
            }
        }
        return new SchemaGaps(List.copyOf(missingTables), List.copyOf(missingColumns), List.copyOf(unpublished),
                List.copyOf(unsafe));
    }

    /**
     * Each stream's state: {@link #OK}, or {@code "error: ..."} naming what is missing, what it does to the stream's
     * rows, and the fix. A stream with several gaps reports the first (a writer whose statements fail, then tables, then
     * columns, then publication).
     */
    public Map<String, String> streamStates(Catalog catalog, String publication) {
        Map<String, String> states = new LinkedHashMap<>();
        for (String t : unsafe) {
            for (String s : catalog.streamsReading(t)) {
                states.putIfAbsent(s, "error: the writer's UPDATE and DELETE on " + t + " FAIL: the relay's "
                        + "publications publish them and the table has no usable replica identity (its key was dropped"
                        + " or changed); run 'synrep prepare --apply' (or ALTER TABLE ... REPLICA IDENTITY FULL) now");
            }
        }
        for (String t : missingTables) {
            for (String s : catalog.streamsReading(t)) {
                states.putIfAbsent(s, "error: table " + t + " does not exist (dropped?): its changes stop; restore it, "
                        + "or remove it from the catalog and restart the relay");
            }
        }
        for (String col : missingColumns) {
            String table = col.substring(0, col.lastIndexOf('.'));
            for (String s : catalog.streamsReading(table)) {
                states.putIfAbsent(s, "error: column " + col + " does not exist (dropped or renamed?): rows carry null "
                        + "for it (and a where filter on it drops them); fix the catalog's \"columns\" and restart the relay");
            }
        }
        for (String t : unpublished) {
            for (String s : catalog.streamsReading(t)) {
                states.putIfAbsent(s, "error: table " + t + " is not in publication " + publication
                        + ": its changes are not captured; restart the relay (it adds the table) or run "
                        + "ALTER PUBLICATION " + publication + " ADD TABLE " + SlotSetup.quoteQualified(t));
            }
        }
        Map<String, String> ordered = new LinkedHashMap<>();
        for (String s : catalog.streamNames()) {
            ordered.put(s, states.getOrDefault(s, OK));
        }
        return ordered;
    }
}
