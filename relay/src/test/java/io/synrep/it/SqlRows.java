package io.synrep.it;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Writer-side SQL for {@link ReplayHorizonIT}: Synapse-shaped inserts into catalog tables (one call, one committed
 * transaction), bulk WAL into a table outside the catalog, and read-outs of the slot and the WAL position.
 */
final class SqlRows {
    /** A table that is not in the built-in catalog (nor in the relay's publication): its writes make WAL only. */
    static final String FILLER = "rh_filler";

    private SqlRows() {}

    /** The database name of a {@code TestPostgres} URL; unique per test, so it also serves as the slot name. */
    static String dbName(String url) {
        String path = url.substring(url.lastIndexOf('/') + 1);
        int q = path.indexOf('?');
        return q < 0 ? path : path.substring(0, q);
    }

    static void createFiller(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + FILLER + " (id bigserial PRIMARY KEY, pad text NOT NULL)");
        }
    }

    /** One live event ({@code events} row with a positive stream ordering): one row of stream {@code events}. */
    static void event(Connection c, long streamOrdering) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO events (topological_ordering, event_id, type,"
                + " room_id, content, unrecognized_keys, processed, outlier, depth, origin_server_ts, received_ts, sender,"
                + " contains_url, instance_name, stream_ordering, state_key, rejection_reason)"
                + " VALUES (?, ?, 'm.room.message', ?, ?, NULL, true, false, ?, ?, ?, ?, false, 'master', ?, NULL, NULL)")) {
            ps.setLong(1, streamOrdering);
            ps.setString(2, eventId(streamOrdering));
            ps.setString(3, "!room" + (streamOrdering % 3) + ":rh.test");
            ps.setString(4, "{\"msgtype\":\"m.text\",\"body\":\"message " + streamOrdering + "\"}");
            ps.setLong(5, streamOrdering);
            ps.setLong(6, 1_700_000_000_000L + streamOrdering);
            ps.setLong(7, 1_700_000_000_000L + streamOrdering);
            ps.setString(8, "@user" + (streamOrdering % 7) + ":rh.test");
            ps.setLong(9, streamOrdering);
            ps.executeUpdate();
        }
    }

    static String eventId(long streamOrdering) {
        return "$ev" + streamOrdering + ".rh";
    }

    /**
     * A read receipt, upserted as Synapse does (one per room, type and user): the first for a user is an insert,
     * later ones update; both are rows of stream {@code receipts}.
     */
    static void receipt(Connection c, long streamId, int user) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO receipts_linearized (stream_id, room_id,"
                + " receipt_type, user_id, event_id, data, instance_name, event_stream_ordering)"
                + " VALUES (?, '!receipts:rh.test', 'm.read', ?, ?, ?, 'master', NULL)"
                + " ON CONFLICT (room_id, receipt_type, user_id) DO UPDATE SET stream_id = EXCLUDED.stream_id,"
                + " event_id = EXCLUDED.event_id, data = EXCLUDED.data")) {
            ps.setLong(1, streamId);
            ps.setString(2, "@reader" + user + ":rh.test");
            ps.setString(3, "$receipt" + streamId + ".rh");
            ps.setString(4, "{\"ts\":" + streamId + "}");
            ps.executeUpdate();
        }
    }

    /** One row of stream {@code device_lists}. */
    static void deviceList(Connection c, long streamId, String device) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (?, ?, ?)")) {
            ps.setLong(1, streamId);
            ps.setString(2, "@dev" + (streamId % 5) + ":rh.test");
            ps.setString(3, device);
            ps.executeUpdate();
        }
    }

    /** One transaction of {@code rows} filler rows of about 1 KiB each. */
    static void filler(Connection c, int rows) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + FILLER
                + " (pad) SELECT repeat(md5(g::text || clock_timestamp()::text), 32) FROM generate_series(1, ?) g")) {
            ps.setInt(1, rows);
            ps.executeUpdate();
        }
    }

    /** The writer's current WAL insert position. */
    static long walLsn(Connection c) throws SQLException {
        return single(c, "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint");
    }

    /** The slot's confirmed_flush_lsn. */
    static long slotConfirmed(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new AssertionError("no slot " + slot);
                }
                return rs.getLong(1);
            }
        }
    }

    static boolean slotActive(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** Drops the slot if it exists and nobody uses it (tidying up: an abandoned slot holds WAL for the whole server). */
    static void dropSlotQuietly(String url, String slot) {
        try (Connection c = TestPostgres.connect(url);
             PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                     + " WHERE slot_name = ? AND NOT active")) {
            ps.setString(1, slot);
            ps.execute();
        } catch (SQLException ignored) {
            // tidying only
        }
    }

    static long single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
