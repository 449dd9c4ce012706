package io.synrep.it;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes to a current Synapse schema ({@code relay/src/test/resources/synapse-current/schema.sql}) with the statement
 * kinds Synapse's storage code issues (facts from element-hq/synapse: synapse/storage/databases/main/events.py,
 * receipts.py, presence.py, account_data.py, tags.py, push_rule.py, pusher.py, cache.py, deviceinbox.py,
 * devices.py, thread_subscriptions.py, room.py, state.py): plain inserts, upserts ({@code INSERT ... ON CONFLICT DO
 * UPDATE}), delete-then-insert, plain updates and cleanup deletes. Each method is one transaction, as in Synapse, and
 * returns the stream id it wrote (or -1). Every statement must succeed: a failure is the bug the tests look for.
 * A caller that commits itself (to hold a transaction open after its statements, as a slow Synapse does) leaves
 * each transaction open for it to commit or roll back.
 */
final class SynapseStatements {
    private final Connection c;
    private final boolean commitEach;
    /** Every statement kind run, for the test's report. */
    final List<String> kinds = new ArrayList<>();

    SynapseStatements(Connection c) throws SQLException {
        this(c, true);
    }

    /** With {@code commitEach} false, each method leaves its transaction open: the caller commits. */
    SynapseStatements(Connection c, boolean commitEach) throws SQLException {
        this.c = c;
        this.commitEach = commitEach;
        c.setAutoCommit(false);
    }

    private void commit() throws SQLException {
        if (commitEach) {
            c.commit();
        }
    }

    /** The stream ordering a new event takes: live (positive) or backfilled (negative). */
    long nextStreamOrdering(boolean backfill) throws SQLException {
        return backfill ? -next("events_backfill_stream_seq") : next("events_stream_seq");
    }

    private long next(String sequence) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT nextval(?)")) {
            ps.setString(1, sequence);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private void run(String kind, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            c.rollback();
            throw new SQLException(kind + " failed: " + e.getMessage(), e.getSQLState(), e);
        }
        if (!kinds.contains(kind)) {
            kinds.add(kind);
        }
    }

    /**
     * Persists one event as PersistEventsStore does: event_json, events (with its own state_key column), state_events
     * and room_memberships for a member event, event_relations, a redaction upsert, the current state delta (delete
     * then insert of current_state_events is not modelled: that table is not streamed). Returns its stream ordering.
     */
    long event(String eventId, String roomId, String type, String stateKey, String relatesTo, String redacts,
               boolean backfill) throws SQLException {
        return event(nextStreamOrdering(backfill), eventId, roomId, type, stateKey, "join", "@a:hs",
                "{\"content\":{}}", relatesTo, redacts, backfill);
    }

    /**
     * As {@link #event(String, String, String, String, String, String, boolean)}, with a stream ordering taken
     * before ({@link #nextStreamOrdering}), a member event's {@code membership}, the sender and the event's JSON.
     */
    long event(long so, String eventId, String roomId, String type, String stateKey, String membership,
               String sender, String json, String relatesTo, String redacts, boolean backfill) throws SQLException {
        run("insert event_json", "INSERT INTO event_json (event_id, room_id, internal_metadata, json, format_version)"
                + " VALUES (?, ?, '{}', ?, 3)", eventId, roomId, json);
        run("insert events", "INSERT INTO events (instance_name, stream_ordering, topological_ordering, depth, event_id,"
                + " room_id, type, processed, outlier, origin_server_ts, received_ts, sender, contains_url, state_key,"
                + " rejection_reason) VALUES ('master', ?, 1, 1, ?, ?, ?, true, false, 1, 1, ?, false, ?, NULL)",
                so, eventId, roomId, type, sender, stateKey);
        if (stateKey != null) {
            run("insert state_events", "INSERT INTO state_events (event_id, room_id, type, state_key) VALUES (?, ?, ?, ?)",
                    eventId, roomId, type, stateKey);
            if (type.equals("m.room.member")) {
                run("insert room_memberships", "INSERT INTO room_memberships (event_id, event_stream_ordering, user_id,"
                        + " sender, room_id, membership) VALUES (?, ?, ?, ?, ?, ?)", eventId, so, stateKey,
                        sender, roomId, membership);
            }
            if (!backfill) {
                run("insert current_state_delta_stream", "INSERT INTO current_state_delta_stream (stream_id,"
                        + " instance_name, room_id, type, state_key, event_id, prev_event_id)"
                        + " VALUES (?, 'master', ?, ?, ?, ?, NULL)", so, roomId, type, stateKey, eventId);
            }
        }
        if (relatesTo != null) {
            run("insert event_relations", "INSERT INTO event_relations (event_id, relates_to_id, relation_type)"
                    + " VALUES (?, ?, 'm.thread')", eventId, relatesTo);
        }
        if (redacts != null) {
            run("upsert redactions", "INSERT INTO redactions (event_id, redacts, received_ts) VALUES (?, ?, 1)"
                    + " ON CONFLICT (event_id) DO UPDATE SET redacts = EXCLUDED.redacts,"
                    + " received_ts = EXCLUDED.received_ts", eventId, redacts);
            run("update redactions", "UPDATE redactions SET have_censored = false WHERE redacts = ?", redacts);
        }
        commit();
        return so;
    }

    /** An outlier that becomes a normal event: ex_outlier_stream row with a new ordering, then UPDATE events. */
    long deOutlier(String eventId) throws SQLException {
        long so = next("events_stream_seq");
        run("insert ex_outlier_stream", "INSERT INTO ex_outlier_stream (event_stream_ordering, event_id, state_group,"
                + " instance_name) VALUES (?, ?, 1, 'master')", so, eventId);
        run("update events outlier", "UPDATE events SET outlier = false WHERE event_id = ?", eventId);
        run("update events rejection", "UPDATE events SET rejection_reason = NULL WHERE event_id = ?", eventId);
        commit();
        return so;
    }

    /** A read receipt: the upsert of _insert_linearized_receipt_txn (unthreaded: the partial unique index). */
    long receipt(String roomId, String userId, String eventId, String threadId) throws SQLException {
        return receipt(roomId, "m.read", userId, eventId, threadId, null);
    }

    /** As {@link #receipt(String, String, String, String)}, of a type, with the receipt's JSON (null: its ts). */
    long receipt(String roomId, String receiptType, String userId, String eventId, String threadId, String data)
            throws SQLException {
        long id = next("receipts_sequence");
        String conflict = threadId == null
                ? " ON CONFLICT (room_id, receipt_type, user_id) WHERE thread_id IS NULL"
                : " ON CONFLICT (room_id, receipt_type, user_id, thread_id)";
        run("upsert receipts_linearized", "INSERT INTO receipts_linearized (room_id, receipt_type, user_id, thread_id,"
                + " stream_id, instance_name, event_id, event_stream_ordering, data) VALUES (?, ?, ?, ?, ?,"
                + " 'master', ?, 1, ?)" + conflict + " DO UPDATE SET stream_id = EXCLUDED.stream_id, instance_name ="
                + " EXCLUDED.instance_name, event_id = EXCLUDED.event_id, event_stream_ordering ="
                + " EXCLUDED.event_stream_ordering, data = EXCLUDED.data",
                roomId, receiptType, userId, threadId, id, eventId, data != null ? data : "{\"ts\":" + id + "}");
        run("upsert receipts_graph", "INSERT INTO receipts_graph (room_id, receipt_type, user_id, thread_id, event_ids,"
                + " data) VALUES (?, ?, ?, ?, ?, '{}')" + conflict.replace("receipts_linearized", "receipts_graph")
                + " DO UPDATE SET event_ids = EXCLUDED.event_ids, data = EXCLUDED.data",
                roomId, receiptType, userId, threadId, "[\"" + eventId + "\"]");
        commit();
        return id;
    }

    /** _update_presence_txn: delete the user's older rows, insert the new one. */
    long presence(String userId, String state) throws SQLException {
        long id = next("presence_stream_sequence");
        run("delete presence_stream", "DELETE FROM presence_stream WHERE stream_id < ? AND user_id = ANY (?)", id,
                c.createArrayOf("text", new Object[] {userId}));
        run("insert presence_stream", "INSERT INTO presence_stream (stream_id, user_id, state, last_active_ts,"
                + " last_federation_update_ts, last_user_sync_ts, status_msg, currently_active, instance_name)"
                + " VALUES (?, ?, ?, 1, 2, 3, NULL, true, 'master')", id, userId, state);
        commit();
        return id;
    }

    /** _add_account_data_for_user: upsert keyed on (user_id, account_data_type). */
    long globalAccountData(String userId, String type, String content) throws SQLException {
        long id = next("account_data_sequence");
        run("upsert account_data", "INSERT INTO account_data (user_id, account_data_type, stream_id, content)"
                + " VALUES (?, ?, ?, ?) ON CONFLICT (user_id, account_data_type) DO UPDATE SET stream_id ="
                + " EXCLUDED.stream_id, content = EXCLUDED.content", userId, type, id, content);
        commit();
        return id;
    }

    /** remove_account_data_for_user: an UPDATE that empties the content with a new stream id. */
    long removeGlobalAccountData(String userId, String type) throws SQLException {
        long id = next("account_data_sequence");
        run("update account_data (remove)", "UPDATE account_data SET stream_id = ?, content = '{}' WHERE user_id = ?"
                + " AND account_data_type = ? AND content != '{}'", id, userId, type);
        commit();
        return id;
    }

    /** add_account_data_to_room: upsert keyed on (user_id, room_id, account_data_type). */
    long roomAccountData(String userId, String roomId, String type, String content) throws SQLException {
        long id = next("account_data_sequence");
        run("upsert room_account_data", "INSERT INTO room_account_data (user_id, room_id, account_data_type,"
                + " stream_id, content) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, room_id, account_data_type)"
                + " DO UPDATE SET stream_id = EXCLUDED.stream_id, content = EXCLUDED.content",
                userId, roomId, type, id, content);
        commit();
        return id;
    }

    /** add_tag_to_room / remove_tag_from_room, then _update_revision_txn (UPDATE, else INSERT). */
    long tag(String userId, String roomId, String tag, boolean remove) throws SQLException {
        return tag(userId, roomId, tag, remove, "{}");
    }

    /** As {@link #tag(String, String, String, boolean)}, with the tag's content (e.g. {@code {"order": 0.5}}). */
    long tag(String userId, String roomId, String tag, boolean remove, String content) throws SQLException {
        long id = next("account_data_sequence");
        if (remove) {
            run("delete room_tags", "DELETE FROM room_tags WHERE user_id = ? AND room_id = ? AND tag = ?",
                    userId, roomId, tag);
        } else {
            run("upsert room_tags", "INSERT INTO room_tags (user_id, room_id, tag, content) VALUES (?, ?, ?, ?)"
                    + " ON CONFLICT (user_id, room_id, tag) DO UPDATE SET content = EXCLUDED.content",
                    userId, roomId, tag, content);
        }
        int updated;
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE room_tags_revisions SET stream_id = ? WHERE user_id = ? AND room_id = ?")) {
            ps.setLong(1, id);
            ps.setString(2, userId);
            ps.setString(3, roomId);
            updated = ps.executeUpdate();
        } catch (SQLException e) {
            c.rollback();
            throw new SQLException("update room_tags_revisions failed: " + e.getMessage(), e.getSQLState(), e);
        }
        if (!kinds.contains("update room_tags_revisions")) {
            kinds.add("update room_tags_revisions");
        }
        if (updated == 0) {
            run("insert room_tags_revisions", "INSERT INTO room_tags_revisions (user_id, room_id, stream_id)"
                    + " VALUES (?, ?, ?)", userId, roomId, id);
        }
        commit();
        return id;
    }

    /** A push rule added: manual upsert of push_rules, push_rules_enable upsert, then the push_rules_stream row. */
    long pushRule(String userId, String ruleId) throws SQLException {
        long id = next("push_rules_stream_sequence");
        run("update push_rules", "UPDATE push_rules SET priority_class = 5, priority = 0, conditions = '[]',"
                + " actions = '[]' WHERE user_name = ? AND rule_id = ?", userId, ruleId);
        run("insert push_rules", "INSERT INTO push_rules (id, user_name, rule_id, priority_class, priority, conditions,"
                + " actions) SELECT nextval('push_rules_id_seq'), ?, ?, 5, 0, '[]', '[]' WHERE NOT EXISTS (SELECT 1 FROM"
                + " push_rules WHERE user_name = ? AND rule_id = ?)", userId, ruleId, userId, ruleId);
        run("upsert push_rules_enable", "INSERT INTO push_rules_enable (id, user_name, rule_id, enabled)"
                + " VALUES (nextval('push_rules_enable_id_seq'), ?, ?, 1) ON CONFLICT (user_name, rule_id)"
                + " DO UPDATE SET enabled = EXCLUDED.enabled", userId, ruleId);
        run("insert push_rules_stream", "INSERT INTO push_rules_stream (instance_name, stream_id, event_stream_ordering,"
                + " user_id, rule_id, op, priority_class, priority, conditions, actions) VALUES ('master', ?, 1, ?, ?,"
                + " 'ADD', 5, 0, '[]', '[]')", id, userId, ruleId);
        commit();
        return id;
    }

    /** A push rule deleted: DELETE push_rules and push_rules_enable, then the push_rules_stream row. */
    long deletePushRule(String userId, String ruleId) throws SQLException {
        long id = next("push_rules_stream_sequence");
        run("delete push_rules", "DELETE FROM push_rules WHERE user_name = ? AND rule_id = ?", userId, ruleId);
        run("delete push_rules_enable", "DELETE FROM push_rules_enable WHERE user_name = ? AND rule_id = ?",
                userId, ruleId);
        run("insert push_rules_stream", "INSERT INTO push_rules_stream (instance_name, stream_id, event_stream_ordering,"
                + " user_id, rule_id, op) VALUES ('master', ?, 1, ?, ?, 'DELETE')", id, userId, ruleId);
        commit();
        return id;
    }

    /** add_pusher: upsert keyed on (app_id, pushkey, user_name) that rewrites id. */
    long pusher(String userId, String appId, String pushkey) throws SQLException {
        return pusher(userId, appId, pushkey, "{}");
    }

    /** As {@link #pusher(String, String, String)}, with the pusher's data (e.g. its push gateway URL). */
    long pusher(String userId, String appId, String pushkey, String data) throws SQLException {
        long id = next("pushers_sequence");
        run("upsert pushers", "INSERT INTO pushers (id, user_name, access_token, profile_tag, kind, app_id,"
                + " app_display_name, device_display_name, pushkey, ts, lang, data, last_stream_ordering,"
                + " instance_name, enabled) VALUES (?, ?, NULL, '', 'http', ?, 'app', 'device', ?, 1, 'en', ?, 0,"
                + " 'master', true) ON CONFLICT (app_id, pushkey, user_name) DO UPDATE SET id = EXCLUDED.id, ts ="
                + " EXCLUDED.ts, data = EXCLUDED.data, instance_name = EXCLUDED.instance_name", id, userId, appId,
                pushkey, data);
        commit();
        return id;
    }

    /** The pusher's bookkeeping (not a stream change): update_pusher_last_stream_ordering_and_success. */
    void pusherProgress(String userId, String appId, String pushkey) throws SQLException {
        run("update pushers (progress)", "UPDATE pushers SET last_stream_ordering = last_stream_ordering + 1,"
                + " last_success = 5 WHERE app_id = ? AND pushkey = ? AND user_name = ?", appId, pushkey, userId);
        run("update pushers (failing)", "UPDATE pushers SET failing_since = NULL WHERE app_id = ? AND pushkey = ?"
                + " AND user_name = ?", appId, pushkey, userId);
        commit();
    }

    /** delete_pusher_by_app_id_pushkey_user_id: DELETE pushers, INSERT deleted_pushers. */
    long deletePusher(String userId, String appId, String pushkey) throws SQLException {
        long id = next("pushers_sequence");
        run("delete pushers", "DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_name = ?",
                appId, pushkey, userId);
        run("insert deleted_pushers", "INSERT INTO deleted_pushers (stream_id, instance_name, app_id, pushkey,"
                + " user_id) VALUES (?, 'master', ?, ?, ?)", id, appId, pushkey, userId);
        commit();
        return id;
    }

    /** _send_invalidation_to_replication. */
    long invalidate(String cacheFunc, String... keys) throws SQLException {
        long id = next("cache_invalidation_stream_seq");
        run("insert cache_invalidation_stream_by_instance", "INSERT INTO cache_invalidation_stream_by_instance"
                + " (stream_id, instance_name, cache_func, keys, invalidation_ts) VALUES (?, 'master', ?, ?, 7)",
                id, cacheFunc, c.createArrayOf("text", keys));
        commit();
        return id;
    }

    /** _clean_up_batch_of_old_cache_invalidations. */
    void cleanUpInvalidations(long from, long to) throws SQLException {
        run("delete cache_invalidation_stream_by_instance", "DELETE FROM cache_invalidation_stream_by_instance"
                + " WHERE ? <= stream_id AND stream_id <= ?", from, to);
        commit();
    }

    /** A to-device message to a local device and one to a remote server. */
    long toDevice(String userId, String deviceId, String destination) throws SQLException {
        long id = next("device_inbox_sequence");
        run("insert device_inbox", "INSERT INTO device_inbox (user_id, device_id, stream_id, message_json,"
                + " instance_name) VALUES (?, ?, ?, '{}', 'master')", userId, deviceId, id);
        run("insert device_federation_outbox", "INSERT INTO device_federation_outbox (destination, stream_id,"
                + " queued_ts, messages_json, instance_name) VALUES (?, ?, 1, '{}', 'master')", destination, id);
        commit();
        return id;
    }

    /** Acknowledgements: delete_messages_for_device_between and delete_device_msgs_for_remote. */
    void ackToDevice(String userId, String deviceId, String destination, long upTo) throws SQLException {
        run("delete device_inbox", "DELETE FROM device_inbox WHERE user_id = ? AND device_id = ? AND 0 < stream_id"
                + " AND stream_id <= ?", userId, deviceId, upTo);
        run("delete device_federation_outbox", "DELETE FROM device_federation_outbox WHERE destination = ? AND"
                + " stream_id <= ?", destination, upTo);
        commit();
    }

    /** _add_device_change_to_stream_txn and the outbound pokes for one remote server. */
    long deviceChange(String userId, String deviceId, String destination) throws SQLException {
        long id = next("device_lists_sequence");
        run("delete device_lists_stream", "DELETE FROM device_lists_stream WHERE user_id = ? AND stream_id < ? AND"
                + " device_id = ANY (?)", userId, id, c.createArrayOf("text", new Object[] {deviceId}));
        run("insert device_lists_stream", "INSERT INTO device_lists_stream (instance_name, stream_id, user_id,"
                + " device_id) VALUES ('master', ?, ?, ?)", id, userId, deviceId);
        run("insert device_lists_outbound_pokes", "INSERT INTO device_lists_outbound_pokes (destination,"
                + " instance_name, stream_id, user_id, device_id, sent, ts) VALUES (?, 'master', ?, ?, ?, false, 1)",
                destination, id, userId, deviceId);
        run("insert device_lists_changes_in_room", "INSERT INTO device_lists_changes_in_room (user_id, device_id,"
                + " room_id, stream_id, instance_name, converted_to_destinations) VALUES (?, ?, '!r:hs', ?, 'master',"
                + " false)", userId, deviceId, id);
        run("update device_lists_changes_in_room", "UPDATE device_lists_changes_in_room SET"
                + " converted_to_destinations = true WHERE stream_id = ?", id);
        commit();
        return id;
    }

    /** Pokes sent: the outbound pokes up to a stream id are deleted. */
    void pokesSent(String destination, long upTo) throws SQLException {
        run("delete device_lists_outbound_pokes", "DELETE FROM device_lists_outbound_pokes WHERE destination = ? AND"
                + " stream_id <= ?", destination, upTo);
        commit();
    }

    /** _add_user_signature_change_txn. */
    long signatureChange(String fromUser) throws SQLException {
        long id = next("device_lists_sequence");
        run("insert user_signature_stream", "INSERT INTO user_signature_stream (stream_id, from_user_id, user_ids,"
                + " instance_name) VALUES (?, ?, '[]', 'master')", id, fromUser);
        commit();
        return id;
    }

    /** subscribe_user_to_thread (first time: INSERT). */
    long subscribe(String userId, String roomId, String eventId) throws SQLException {
        long id = next("thread_subscriptions_sequence");
        run("insert thread_subscriptions", "INSERT INTO thread_subscriptions (user_id, event_id, room_id, subscribed,"
                + " automatic, stream_id, instance_name) VALUES (?, ?, ?, true, false, ?, 'master')",
                userId, eventId, roomId, id);
        commit();
        return id;
    }

    /** unsubscribe_user_from_thread: an UPDATE that moves stream_id. */
    long unsubscribe(String userId, String roomId, String eventId) throws SQLException {
        long id = next("thread_subscriptions_sequence");
        run("update thread_subscriptions", "UPDATE thread_subscriptions SET subscribed = false, stream_id = ?,"
                + " instance_name = 'master' WHERE user_id = ? AND event_id = ? AND room_id = ? AND subscribed",
                id, userId, eventId, roomId);
        commit();
        return id;
    }

    /** _clear_partial_state_room_txn's stream row. */
    long unPartialRoom(String roomId) throws SQLException {
        long id = next("un_partial_stated_room_stream_sequence");
        run("insert un_partial_stated_room_stream", "INSERT INTO un_partial_stated_room_stream (stream_id,"
                + " instance_name, room_id) VALUES (?, 'master', ?)", id, roomId);
        commit();
        return id;
    }

    /** _update_state_for_partial_state_event_txn's stream row. */
    long unPartialEvent(String eventId) throws SQLException {
        long id = next("un_partial_stated_event_stream_sequence");
        run("insert un_partial_stated_event_stream", "INSERT INTO un_partial_stated_event_stream (stream_id,"
                + " instance_name, event_id, rejection_status_changed) VALUES (?, 'master', ?, false)", id, eventId);
        commit();
        return id;
    }
}
