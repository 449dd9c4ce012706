package io.synrep.capture;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A table's replica identity as PostgreSQL's publication check sees it. Once a publication publishes UPDATE or
 * DELETE for a table, PostgreSQL refuses those statements (and {@code INSERT ... ON CONFLICT DO UPDATE}, even when
 * nothing conflicts) unless the table has a <em>usable</em> identity: {@code FULL}, {@code USING INDEX} with the
 * index present, or {@code DEFAULT} with a primary key.
 *
 * @param table      {@code schema.table}
 * @param kind       {@code pg_class.relreplident}: {@code d} default, {@code f} full, {@code i} index, {@code n} nothing
 * @param primaryKey the primary key's index name, or null
 * @param index      the identity index's name (kind {@code i}), or null when it was dropped
 * @param candidate  the cheapest unique index that {@code REPLICA IDENTITY USING INDEX} accepts (not partial, no
 *                   expressions, not deferrable, valid, over NOT NULL columns only), or null when there is none
 */
public record TableIdentity(String table, char kind, String primaryKey, String index, String candidate) {
    /** Whether PostgreSQL lets UPDATE and DELETE run on the table while a publication publishes them. */
    public boolean usable() {
        return switch (kind) {
            case 'f' -> true;
            case 'i' -> index != null;
            case 'd' -> primaryKey != null;
            default -> false;
        };
    }

    /** How the identity reads in a message: {@code FULL}, {@code USING INDEX x}, {@code DEFAULT (primary key x)}. */
    public String describe() {
        return switch (kind) {
            case 'f' -> "FULL";
            case 'i' -> index == null ? "USING INDEX (the index was dropped)" : "USING INDEX " + index;
            case 'd' -> primaryKey == null ? "DEFAULT without a primary key" : "DEFAULT (primary key " + primaryKey + ")";
            default -> "NOTHING";
        };
    }

    /** The statement that gives the table a usable identity: the cheap index form where one exists, else FULL. */
    public String fix() {
        String target = SlotSetup.quoteQualified(table);
        return candidate != null
                ? "ALTER TABLE " + target + " REPLICA IDENTITY USING INDEX " + quote(candidate)
                : "ALTER TABLE " + target + " REPLICA IDENTITY FULL";
    }

    /** Why {@link #fix()} is that statement, and what it costs the writer. */
    public String fixCost() {
        return candidate != null
                ? "cheap: an UPDATE or DELETE writes only the columns of unique index " + candidate
                + " of the old row to the WAL"
                : "no unique index over NOT NULL columns: every UPDATE and DELETE writes the whole old row to the WAL"
                + " (more WAL for this table's updates and deletes; inserts cost nothing more)";
    }

    /** The identities of the tables among {@code tables} ({@code schema.table}) that exist, keyed like them. */
    public static Map<String, TableIdentity> read(Connection conn, Collection<String> tables) throws SQLException {
        Map<String, TableIdentity> out = new LinkedHashMap<>();
        Array names = conn.createArrayOf("text", tables.toArray());
        try (PreparedStatement ps = conn.prepareStatement("SELECT n.nspname || '.' || c.relname, c.relreplident,"
                + " (SELECT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid"
                + "   WHERE i.indrelid = c.oid AND i.indisprimary),"
                + " (SELECT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid"
                + "   WHERE i.indrelid = c.oid AND i.indisreplident),"
                + " (SELECT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid"
                + "   WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid"
                + "   AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = i.indnatts"
                + "   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
                + "     AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull)"
                + "   ORDER BY i.indnatts, ci.relname LIMIT 1)"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p') AND n.nspname || '.' || c.relname = ANY (?)")) {
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                Map<String, TableIdentity> found = new LinkedHashMap<>();
                while (rs.next()) {
                    found.put(rs.getString(1), new TableIdentity(rs.getString(1), rs.getString(2).charAt(0),
                            rs.getString(3), rs.getString(4), rs.getString(5)));
                }
                for (String t : tables) {
                    if (found.containsKey(t)) {
                        out.put(t, found.get(t));
                    }
                }
            }
        }
        return out;
    }

    static String quote(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }
}
