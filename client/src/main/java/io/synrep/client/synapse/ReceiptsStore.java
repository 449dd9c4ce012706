package io.synrep.client.synapse;

import com.fasterxml.jackson.databind.JsonNode;
import io.synrep.client.ReaderCache;
import io.synrep.client.Row;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * Read receipts ({@code receipts_linearized}), cached per user and per room; threaded receipts in current Synapse
 * (the seed schema has no threads: {@code threadId} is null).
 *
 * <p>Invalidation, by rows of the {@code receipts} stream: {@code get_receipts_for_user} (key: the row's
 * {@code user_id}) and {@code get_linearized_receipts_for_room} (key: the row's {@code room_id}). Receipts are
 * upserts, so every change produces a row. Reads fail with a {@link StoreException} while the relay does not serve
 * {@code receipts}. Thread-safe; returned {@link JsonNode}s are shared: do not modify them.
 */
public final class ReceiptsStore {
    /**
     * A user's latest receipt of one type in one room (and thread: {@code threadId}, null for the main timeline and
     * in the seed schema). {@code data} is the receipt's JSON (e.g. its ts).
     */
    public record Receipt(String roomId, String receiptType, String userId, String eventId, String threadId,
                          JsonNode data, long streamId) {}

    private static final String COLUMNS = "SELECT room_id, receipt_type, user_id, event_id, %s AS thread_id, data,"
            + " stream_id FROM receipts_linearized";
    private static final String FOR_USER = " WHERE user_id = ? ORDER BY room_id, receipt_type, thread_id NULLS FIRST";
    private static final String FOR_ROOM = " WHERE room_id = ? ORDER BY user_id, receipt_type, thread_id NULLS FIRST";
    private static final List<String> STREAMS = List.of("receipts");

    private final ConnectionPool db;
    private final MissingStreams missing;
    private final String forUser;
    private final String forRoom;
    private final ReaderCache<String, List<Receipt>> byUser;
    private final ReaderCache<String, List<Receipt>> byRoom;

    ReceiptsStore(ConnectionPool db, CacheRegistry registry, long cacheSize, SynapseSchema schema,
                  MissingStreams missing) {
        this.db = db;
        this.missing = missing;
        String columns = COLUMNS.formatted(schema == SynapseSchema.SEED ? "NULL::text" : "thread_id");
        this.forUser = columns + FOR_USER;
        this.forRoom = columns + FOR_ROOM;
        this.byUser = registry.register(new ReaderCache<>("get_receipts_for_user", cacheSize));
        this.byRoom = registry.register(new ReaderCache<>("get_linearized_receipts_for_room", cacheSize));
    }

    /** The user's receipts in every room, ordered by room id, then receipt type, then thread (main first). */
    public List<Receipt> forUser(String userId) {
        missing.require("receipts", STREAMS);
        return byUser.get(userId, u -> db.list(forUser, ReceiptsStore::receipt, u));
    }

    /** Every user's receipts in the room, ordered by user id, then receipt type, then thread (main first). */
    public List<Receipt> forRoom(String roomId) {
        missing.require("receipts", STREAMS);
        return byRoom.get(roomId, r -> db.list(forRoom, ReceiptsStore::receipt, r));
    }

    /** Handles a row of the {@code receipts} stream. */
    void onReceipt(Row row) {
        Invalidate.key(byUser, row.text("user_id"));
        Invalidate.key(byRoom, row.text("room_id"));
    }

    private static Receipt receipt(ResultSet rs) throws SQLException {
        return new Receipt(rs.getString("room_id"), rs.getString("receipt_type"), rs.getString("user_id"),
                rs.getString("event_id"), rs.getString("thread_id"), Columns.json(rs.getString("data")),
                rs.getLong("stream_id"));
    }
}
