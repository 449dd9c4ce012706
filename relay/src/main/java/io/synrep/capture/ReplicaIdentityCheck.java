package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import io.synrep.streams.StreamRule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names the catalog tables whose replica identity is not {@code FULL}, and the columns their DELETEs carry. For those
 * tables the WAL carries neither a large (TOASTed) value that an UPDATE left unchanged (the stream row gets null, see
 * docs/types.md) nor, on DELETE, more than the identity columns. At start this is advice (a WARN), not an
 * error: a table whose rows are never updated or deleted is fine. Stateless; each call asks the database.
 */
public final class ReplicaIdentityCheck {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaIdentityCheck.class);

    private ReplicaIdentityCheck() {}

    /** The tables ({@code schema.table}) among {@code tables} whose replica identity is not FULL, in their order. */
    public static List<String> notFull(Connection c, Collection<String> tables) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT relreplident FROM pg_class WHERE oid = to_regclass(?)")) {
            for (String t : tables) {
                ps.setString(1, SlotSetup.quoteQualified(t));
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && !"f".equals(rs.getString(1))) {
                        out.add(t);
                    }
                }
            }
        }
        return out;
    }

    /**
     * For each table among {@code tables} whose replica identity is not FULL, the columns a DELETE's old row carries
     * in the WAL: the primary key's (identity DEFAULT), the identity index's (USING INDEX), none (NOTHING).
     */
    public static Map<String, Set<String>> identityColumns(Connection c, Collection<String> tables)
            throws SQLException {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname FROM pg_class t"
                + " JOIN pg_index i ON i.indrelid = t.oid"
                + " AND ((t.relreplident = 'd' AND i.indisprimary) OR (t.relreplident = 'i' AND i.indisreplident))"
                + " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey)"
                + " WHERE t.oid = to_regclass(?)")) {
            for (String t : notFull(c, tables)) {
                Set<String> columns = new HashSet<>();
                ps.setString(1, SlotSetup.quoteQualified(t));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        columns.add(rs.getString(1));
                    }
                }
                out.put(t, Set.copyOf(columns));
            }
        }
        return out;
    }

    /** {@link #identityColumns} on a new connection; empty (and logged) when the database cannot be asked. */
    static Map<String, Set<String>> identityColumns(CaptureConfig config, Collection<String> tables) {
        try (Connection c = WriterConnection.open(config)) {
            return identityColumns(c, tables);
        } catch (SQLException e) {
            LOG.info("could not read the tables' replica identity: {}", e.getMessage());
            return Map.of();
        }
    }

    /**
     * As {@link #warn(CaptureConfig, Collection)} for the tables whose updates or deletes {@code publications}
     * stream: TOASTed values and deleted rows only matter there.
     */
    public static void warn(CaptureConfig config, Publications publications) {
        warn(config, publications.published().entrySet().stream()
                .filter(e -> e.getValue().contains(StreamRule.Operation.UPDATE)
                        || e.getValue().contains(StreamRule.Operation.DELETE))
                .map(Map.Entry::getKey).toList());
    }

    /** Logs one WARN naming the tables and the fix when any table is not FULL; a failed check is only logged. */
    public static void warn(CaptureConfig config, Collection<String> tables) {
        try (Connection c = WriterConnection.open(config)) {
            List<String> notFull = notFull(c, tables);
            if (!notFull.isEmpty()) {
                LOG.warn("replica identity is not FULL for {} (tables whose updates or deletes are streamed): an UPDATE "
                        + "that leaves a large (TOASTed) value unchanged streams null for it, and a DELETE streams only "
                        + "the key columns; ALTER TABLE ... REPLICA IDENTITY FULL avoids that at the cost of more WAL "
                        + "(see docs/types.md)", notFull);
            }
        } catch (SQLException e) {
            LOG.info("could not check the tables' replica identity: {}", e.getMessage());
        }
    }
}
