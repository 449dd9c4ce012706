package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import io.synrep.protocol.Position;
import io.synrep.streams.Catalog;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the writer's database before capture starts and prepares what capture needs: logical WAL, the catalog
 * tables, the publication and the slot. Every problem is reported as a {@link SetupException} whose message
 * names the fix.
 */
public final class SlotSetup {
    private static final Logger LOG = LoggerFactory.getLogger(SlotSetup.class);

    /**
     * What capture starts from.
     *
     * @param state    the state to run with (saved before capture starts): the saved one when it still fits the
     *                 slot, else a new one with a new epoch and no offsets
     * @param head     transactions at or below this were already seen (the log's starting head)
     * @param newEpoch whether the WAL history differs from the saved state's (readers must resync)
     * @param notes    what was decided and why, for the log ({@code WARN} level when {@code newEpoch})
     */
    public record Prepared(RelayState state, long head, boolean slotCreated, boolean newEpoch, List<String> notes,
                           Publications publications) {
        public String epoch() {
            return state.epoch();
        }

        public long horizon() {
            return state.horizon();
        }

        public String systemId() {
            return state.systemId();
        }
    }

    private SlotSetup() {}

    /**
     * Verifies settings, creates the publication and slot when absent, and decides where capture starts
     * ({@link StartPoint} holds the rules): after the saved state's offsets when they still fit the slot, at
     * {@code startLsn} when given, else at the slot's confirmed position with a new epoch.
     *
     * @param catalog  the streams: their tables and the columns the rules read from each are checked
     * @param saved    the relay's saved state, or null
     * @param startLsn replay from this position (at or after the slot's confirmed position), or null
     * @param atStart  true when the relay starts: the role, every catalog table and column are checked and a
     *                 publication lacking catalog tables gets them added (or the relay refuses, naming the command);
     *                 false before a reconnect, when gaps are left to the per-stream states ({@link SchemaGaps}) so that
     *                 the other streams keep flowing
     */
    public static Prepared prepare(CaptureConfig c, Catalog catalog, RelayState saved, Long startLsn,
                                   boolean atStart) {
        Map<String, Set<String>> columns = catalog.columnsByTable();
        try (Connection conn = WriterConnection.open(c)) {
            String walLevel = single(conn, "SHOW wal_level");
            if (!"logical".equals(walLevel)) {
                throw new SetupException("wal_level is '" + walLevel + "' on " + c.maskedUrl()
                        + "; set wal_level = logical in postgresql.conf (or -c wal_level=logical) and restart PostgreSQL");
            }
            if (atStart) {
                checkReplicationRole(conn);
            }
            String base = c.publication();
            SchemaGaps gaps = SchemaGaps.find(conn, columns,
                    List.of(base, Publications.updates(base), Publications.deletes(base)));
            if (atStart) {
                refuseMissing(gaps);
            }
            Publications publications = Publications.reconcile(conn, c, catalog, gaps, atStart);
            String systemId = systemId(conn);
            awaitInactive(conn, c);
            Long confirmed = confirmedPosition(conn, c);
            boolean created = confirmed == null;
            if (created) {
                try (PreparedStatement create = conn.prepareStatement(
                        "SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
                    create.setString(1, c.slot());
                    create.execute();
                }
                confirmed = confirmedPosition(conn, c);
            }
            long writer = startLsn != null ? currentWalPosition(conn) : -1;
            StartPoint.Decision d = StartPoint.decide(saved, systemId,
                    new StartPoint.Slot(c.slot(), confirmed, created), startLsn, writer);
            if (d.advanceSlotTo() >= 0) {
                try (PreparedStatement adv = conn.prepareStatement("SELECT pg_replication_slot_advance(?, ?::pg_lsn)")) {
                    adv.setString(1, c.slot());
                    adv.setString(2, Position.formatLsn(d.advanceSlotTo()));
                    adv.execute();
                }
            }
            return new Prepared(d.state(), d.head(), created, d.newEpoch(), d.notes(), publications);
        } catch (SQLException e) {
            throw explain(c, e);
        }
    }

    /** Whether the slot exists (in any state). */
    public static boolean slotExists(Connection conn, String slot) throws SQLException {
        return exists(conn, "SELECT 1 FROM pg_replication_slots WHERE slot_name = ?", slot);
    }

    /**
     * Logical replication needs a role with REPLICATION (or a superuser, or membership in a cloud provider's
     * {@code rds_replication}); without it the slot cannot be created or streamed from.
     */
    private static void checkReplicationRole(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT current_user, rolsuper OR rolreplication OR EXISTS (SELECT 1 FROM pg_roles g "
                        + "WHERE g.rolname = 'rds_replication' AND pg_has_role(current_user, g.oid, 'member')) "
                        + "FROM pg_roles WHERE rolname = current_user")) {
            if (rs.next() && !rs.getBoolean(2)) {
                String role = rs.getString(1);
                throw new SetupException("role " + role + " lacks the REPLICATION attribute, so it cannot use a "
                        + "replication slot; as a superuser run ALTER ROLE " + quote(role)
                        + " REPLICATION (see sql/replication-role.sql), or connect with --pg-user a role that has it");
            }
        }
    }

    private static void refuseMissing(SchemaGaps gaps) {
        if (!gaps.missingTables().isEmpty()) {
            throw new SetupException("the catalog names tables that do not exist: " + gaps.missingTables()
                    + "; on a Synapse database check that the catalog fits its schema (--catalog builtin detects it,"
                    + " or name synapse-current or synapse-seed); otherwise create them (sql/schema.sql creates the"
                    + " seed-era tables in a fresh database) or pass a --catalog without them");
        }
        if (!gaps.missingColumns().isEmpty()) {
            throw new SetupException("the catalog names columns that do not exist: " + gaps.missingColumns()
                    + "; add them, or fix the stream's \"columns\" (field -> column) in the --catalog file");
        }
    }

    /**
     * Waits (up to 10 s) while another connection streams from the slot: a relay that just stopped releases it a
     * moment after it closed; anything longer is a second consumer.
     */
    private static void awaitInactive(Connection conn, CaptureConfig c) throws SQLException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Integer pid = null;
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ? AND active")) {
                ps.setString(1, c.slot());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        pid = rs.getInt(1);
                    }
                }
            }
            if (pid == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new SetupException("slot " + c.slot() + " is in use by PostgreSQL backend " + pid
                        + " (another relay or consumer?); stop it (SELECT pg_terminate_backend(" + pid + ") if it is stale), "
                        + "or give this relay its own --slot");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SetupException("interrupted while waiting for slot " + c.slot() + " to be released");
            }
        }
    }

    /** The slot's confirmed position, or null when there is no such slot; refuses a slot unfit for capture. */
    private static Long confirmedPosition(Connection conn, CaptureConfig c) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT plugin, database, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, c.slot());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                if (!"pgoutput".equals(rs.getString(1))) {
                    throw new SetupException("slot " + c.slot() + " uses plugin " + rs.getString(1)
                            + ", not pgoutput; drop it or choose another --slot");
                }
                if (!conn.getCatalog().equals(rs.getString(2))) {
                    throw new SetupException("slot " + c.slot() + " belongs to database " + rs.getString(2)
                            + ", not " + conn.getCatalog() + "; choose another --slot");
                }
                return Position.parseLsn(rs.getString(3));
            }
        }
    }

    /**
     * The WAL a slot holds on the writer, in bytes (-1 when unknown).
     *
     * @param retained  current WAL position minus the slot's restart LSN: what PostgreSQL keeps on disk
     * @param confirmed current WAL position minus the slot's confirmed position: what the relay controls (the
     *                  restart LSN follows the confirmed one at the next running-transactions record, within ~15 s)
     */
    public record WalHeld(long retained, long confirmed) {
        static final WalHeld UNKNOWN = new WalHeld(-1, -1);
    }

    public static WalHeld walHeld(Connection conn, String slot) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT (pg_current_wal_lsn() - restart_lsn)::bigint, "
                + "(pg_current_wal_lsn() - confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return WalHeld.UNKNOWN;
                }
                long retained = rs.getLong(1);
                retained = rs.wasNull() ? -1 : retained;
                long confirmed = rs.getLong(2);
                confirmed = rs.wasNull() ? -1 : confirmed;
                return new WalHeld(retained, confirmed);
            }
        }
    }

    /** The writer's current WAL insert position. */
    public static long currentWalPosition(Connection conn) throws SQLException {
        return Position.parseLsn(single(conn, "SELECT pg_current_wal_lsn()::text"));
    }

    private static String systemId(Connection conn) {
        try {
            return single(conn, "SELECT system_identifier::text FROM pg_control_system()");
        } catch (SQLException e) {
            // pg_control_system() may be restricted; the database OID still tells databases apart
            try {
                conn.rollback();
            } catch (SQLException ignored) {
                // autocommit connection
            }
            try {
                return "db" + single(conn, "SELECT oid::text FROM pg_database WHERE datname = current_database()");
            } catch (SQLException e2) {
                return "unknown";
            }
        }
    }

    /** A database failure before capture, explained with its likely fix. */
    public static SetupException explainFailure(CaptureConfig c, SQLException e) {
        return explain(c, e);
    }

    static SetupException explain(CaptureConfig c, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String hint = switch (state) {
            case "28P01", "28000" -> "check --pg-user/--pg-password and pg_hba.conf";
            case "42501" -> "grant the role REPLICATION and SELECT on the catalog tables (sql/replication-role.sql), "
                    + "or create the publication as the tables' owner (sql/publication.sql)";
            case "53400" -> "raise max_replication_slots / max_wal_senders on the writer";
            case "08001", "08006", "08004" -> "is PostgreSQL running and reachable at " + c.maskedUrl() + "?";
            case "3D000" -> "create the database or fix --pg-url";
            default -> "see the PostgreSQL error above";
        };
        return new SetupException("cannot prepare capture on " + c.maskedUrl() + ": " + e.getMessage() + " (" + hint + ")");
    }

    private static String single(Connection conn, String sql) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean exists(Connection conn, String sql, String arg) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    static String quoteQualified(String schemaTable) {
        int dot = schemaTable.indexOf('.');
        return quote(schemaTable.substring(0, dot)) + "." + quote(schemaTable.substring(dot + 1));
    }

    private static String quote(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }

    /** Capture cannot start; the message says why and what to change. */
    public static final class SetupException extends RuntimeException {
        public SetupException(String message) {
            super(message);
        }
    }
}
