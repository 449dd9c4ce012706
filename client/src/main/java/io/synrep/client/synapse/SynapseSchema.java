package io.synrep.client.synapse;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The two Synapse schemas the slaved stores read, and the stream names of the relay's matching built-in catalog:
 * <ul>
 *   <li>{@link #SEED}: the 2017-era tables of {@code sql/schema.sql}, catalog {@code synapse-seed}: push rules only
 *       as the {@code push_rules_stream} log, receipts without threads, account data on three streams;</li>
 *   <li>{@link #CURRENT}: current Synapse, catalog {@code synapse-current}: push rules in {@code push_rules} and
 *       {@code push_rules_enable}, {@code events.state_key} and {@code room_memberships}, threaded receipts, one
 *       {@code account_data} stream, pusher deletions on the {@code pushers} stream.</li>
 * </ul>
 */
enum SynapseSchema {
    SEED("synapse-seed",
            List.of("events", "backfill", "receipts", "presence", "user_account_data", "room_account_data",
                    "tag_account_data", "push_rules", "pushers", "deleted_pushers", "caches", "to_device",
                    "public_rooms", "device_lists"),
            List.of("events", "event_json", "state_events", "redactions", "receipts_linearized", "presence_stream",
                    "account_data", "room_account_data", "room_tags", "push_rules_stream", "pushers")),
    CURRENT("synapse-current",
            List.of("events", "backfill", "presence", "receipts", "push_rules", "pushers", "caches", "device_lists",
                    "to_device", "account_data"),
            List.of("events", "event_json", "redactions", "room_memberships", "receipts_linearized",
                    "presence_stream", "account_data", "room_account_data", "room_tags", "push_rules",
                    "push_rules_enable", "pushers"));

    /** The matching built-in catalog's name. */
    final String catalog;
    /** The streams the stores follow, all of them in the matching catalog. */
    final List<String> streams;
    /** The tables the stores read. */
    final List<String> tables;

    SynapseSchema(String catalog, List<String> streams, List<String> tables) {
        this.catalog = catalog;
        this.streams = streams;
        this.tables = tables;
    }

    /**
     * Current Synapse when the database has {@code push_rules} and {@code cache_invalidation_stream_by_instance}, or
     * Synapse's {@code schema_version} at 72 (its first full schema of today's layout) or later; else the seed
     * schema. That is the relay's own detection (it picks its built-in catalog the same way) except that a
     * {@code schema_version} alone says "current" only from 72 on: a seed-era Synapse has that table too.
     */
    static SynapseSchema detect(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT to_regclass('push_rules') IS NOT NULL"
                        + " AND to_regclass('cache_invalidation_stream_by_instance') IS NOT NULL,"
                        + " to_regclass('schema_version') IS NOT NULL")) {
            rs.next();
            if (rs.getBoolean(1)) {
                return CURRENT;
            }
            if (!rs.getBoolean(2)) {
                return SEED;
            }
        }
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT max(version) >= 72 FROM schema_version")) {
            return rs.next() && rs.getBoolean(1) ? CURRENT : SEED;
        }
    }

    /** Fails, naming the fix, when a table or column the stores read is missing. */
    void check(Connection c) throws SQLException {
        String fix = this == SEED ? "apply sql/schema.sql, or point --pg-url at the writer's database"
                : "the database looks like current Synapse (it has push_rules and"
                + " cache_invalidation_stream_by_instance, or schema_version 72 or later); point --pg-url at the"
                + " writer's database";
        for (String table : tables) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new StoreException("the database has no table " + table + " (" + fix + ")", null);
                }
            }
        }
        if (this == CURRENT) {
            requireColumn(c, "receipts_linearized", "thread_id", fix);
            requireColumn(c, "events", "state_key", fix);
        }
    }

    private static void requireColumn(Connection c, String table, String column, String fix) throws SQLException {
        try (var st = c.prepareStatement("SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?)"
                + " AND attname = ? AND NOT attisdropped")) {
            st.setString(1, table);
            st.setString(2, column);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    throw new StoreException("the database's " + table + " has no column " + column + " (" + fix
                            + ")", null);
                }
            }
        }
    }
}
