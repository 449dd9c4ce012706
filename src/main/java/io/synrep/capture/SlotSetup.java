package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import io.synrep.protocol.Position;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the writer's database before capture starts and prepares what capture needs: logical WAL, the catalog
 * tables, the publication and the slot. Every problem is reported as a {@link SetupException} whose message
 * names the fix.
 */
public final class SlotSetup {
    private static final Logger LOG = LoggerFactory.getLogger(SlotSetup.class);

    /** What capture starts from. */
    public record Prepared(long startPosition, String systemId, boolean slotCreated) {}

    private SlotSetup() {}

    public static Connection connect(CaptureConfig c) throws SQLException {
        Properties p = new Properties();
        if (c.user() != null) {
            p.setProperty("user", c.user());
        }
        if (c.password() != null) {
            p.setProperty("password", c.password());
        }
        p.setProperty("ApplicationName", "synrep");
        return DriverManager.getConnection(c.jdbcUrl(), p);
    }

    /**
     * Verifies settings, creates the publication and slot when absent, and returns the slot's confirmed position.
     *
     * @param tables the catalog's tables as {@code schema.table}
     */
    public static Prepared prepare(CaptureConfig c, Collection<String> tables) {
        try (Connection conn = connect(c)) {
            String walLevel = single(conn, "SHOW wal_level");
            if (!"logical".equals(walLevel)) {
                throw new SetupException("wal_level is '" + walLevel + "' on " + c.maskedUrl()
                        + "; set wal_level = logical in postgresql.conf (or -c wal_level=logical) and restart PostgreSQL");
            }
            List<String> missing = new ArrayList<>();
            for (String t : tables) {
                try (PreparedStatement ps = conn.prepareStatement("SELECT to_regclass(?)")) {
                    ps.setString(1, quoteQualified(t));
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getString(1) == null) {
                            missing.add(t);
                        }
                    }
                }
            }
            if (!missing.isEmpty()) {
                throw new SetupException("the catalog names tables that do not exist: " + missing
                        + "; create them (sql/schema.sql for Synapse's) or pass a --catalog without them");
            }
            if (!exists(conn, "SELECT 1 FROM pg_publication WHERE pubname = ?", c.publication())) {
                String list = String.join(", ", tables.stream().map(SlotSetup::quoteQualified).toList());
                try (Statement st = conn.createStatement()) {
                    st.execute("CREATE PUBLICATION " + c.publication() + " FOR TABLE " + list);
                }
                LOG.info("created publication {} for {} tables", c.publication(), tables.size());
            }
            boolean created = false;
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT plugin, database FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, c.slot());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        if (!"pgoutput".equals(rs.getString(1))) {
                            throw new SetupException("slot " + c.slot() + " uses plugin " + rs.getString(1)
                                    + ", not pgoutput; drop it or choose another --slot");
                        }
                        if (!conn.getCatalog().equals(rs.getString(2))) {
                            throw new SetupException("slot " + c.slot() + " belongs to database " + rs.getString(2)
                                    + ", not " + conn.getCatalog() + "; choose another --slot");
                        }
                    } else {
                        try (PreparedStatement create = conn.prepareStatement(
                                "SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
                            create.setString(1, c.slot());
                            create.execute();
                        }
                        created = true;
                        LOG.info("created replication slot {}", c.slot());
                    }
                }
            }
            long start;
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, c.slot());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    start = Position.parseLsn(rs.getString(1));
                }
            }
            return new Prepared(start, systemId(conn), created);
        } catch (SQLException e) {
            throw explain(c, e);
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
