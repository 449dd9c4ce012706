package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names the catalog tables whose replica identity is not {@code FULL}. For those the WAL carries neither a large
 * (TOASTed) value that an UPDATE left unchanged (the stream row gets null, see the README's "Types") nor, on DELETE,
 * more than the key. Advice at start, not an error: a table whose rows are never updated or deleted is fine.
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

    /** Logs one WARN naming the tables and the fix when any table is not FULL; a failed check is only logged. */
    public static void warn(CaptureConfig config, Collection<String> tables) {
        try (Connection c = SlotSetup.connect(config)) {
            List<String> notFull = notFull(c, tables);
            if (!notFull.isEmpty()) {
                LOG.warn("replica identity is not FULL for {}: an UPDATE that leaves a large (TOASTed) value unchanged"
                        + " streams null for it, and a DELETE streams only the key columns; run ALTER TABLE ..."
                        + " REPLICA IDENTITY FULL for each (sql/schema.sql does this for Synapse's tables)", notFull);
            }
        } catch (SQLException e) {
            LOG.info("could not check the tables' replica identity: {}", e.getMessage());
        }
    }
}
