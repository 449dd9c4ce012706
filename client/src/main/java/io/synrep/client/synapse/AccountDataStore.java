package io.synrep.client.synapse;

import com.fasterxml.jackson.databind.JsonNode;
import io.synrep.client.ReaderCache;
import io.synrep.client.Row;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Account data, cached: a user's global account data ({@code account_data}), their account data for one room
 * ({@code room_account_data}) and their room tags ({@code room_tags}).
 *
 * <p>Invalidation, seed schema (three streams):
 * <ul>
 *   <li>{@code user_account_data} rows → {@code get_global_account_data_for_user} (key: {@code user_id});</li>
 *   <li>{@code room_account_data} rows → {@code get_account_data_for_room} (key: {@code [user_id, room_id]});</li>
 *   <li>{@code tag_account_data} rows → {@code get_tags_for_user} (key: {@code user_id}). Tags themselves are not
 *       streamed: the writer bumps {@code room_tags_revisions} in the transaction that changes or deletes a tag
 *       (as Synapse does), and that revision's row is the signal.</li>
 * </ul>
 * Current Synapse has one {@code account_data} stream ({@code user_id, room_id, data_type}) for all three: a row
 * with {@code data_type = m.tag} and a room is a tag revision ({@code get_tags_for_user}), else a row without a
 * room is global account data and one with a room is room account data.
 *
 * <p>The tables are the same in both schemas. Reads fail with a {@link StoreException} while the relay does not
 * serve the stream that invalidates them. Maps are immutable and sorted by key. Thread-safe; returned
 * {@link JsonNode}s are shared: do not modify them.
 */
public final class AccountDataStore {
    private static final String GLOBAL = "SELECT account_data_type, content FROM account_data WHERE user_id = ?";
    private static final String ROOM = "SELECT account_data_type, content FROM room_account_data"
            + " WHERE user_id = ? AND room_id = ?";
    private static final String TAGS = "SELECT room_id, tag, content FROM room_tags WHERE user_id = ?";

    private record Entry(String first, String second, JsonNode content) {}

    static final String TAG = "m.tag";

    private final ConnectionPool db;
    private final MissingStreams missing;
    private final List<String> globalStreams;
    private final List<String> roomStreams;
    private final List<String> tagStreams;
    private final ReaderCache<String, Map<String, JsonNode>> global;
    private final ReaderCache<List<String>, Map<String, JsonNode>> room;
    private final ReaderCache<String, Map<String, Map<String, JsonNode>>> tags;

    AccountDataStore(ConnectionPool db, CacheRegistry registry, long cacheSize, SynapseSchema schema,
                     MissingStreams missing) {
        this.db = db;
        this.missing = missing;
        boolean seed = schema == SynapseSchema.SEED;
        this.globalStreams = List.of(seed ? "user_account_data" : "account_data");
        this.roomStreams = List.of(seed ? "room_account_data" : "account_data");
        this.tagStreams = List.of(seed ? "tag_account_data" : "account_data");
        this.global = registry.register(new ReaderCache<>("get_global_account_data_for_user", cacheSize));
        this.room = registry.register(new ReaderCache<>("get_account_data_for_room", cacheSize));
        this.tags = registry.register(new ReaderCache<>("get_tags_for_user", cacheSize));
    }

    /** The user's global account data: type → content. */
    public Map<String, JsonNode> global(String userId) {
        missing.require("global account data", globalStreams);
        return global.get(userId, u -> byType(db.list(GLOBAL,
                rs -> new Entry(rs.getString(1), null, Columns.json(rs.getString(2))), u)));
    }

    /** The user's global account data of one type. */
    public Optional<JsonNode> global(String userId, String type) {
        return Optional.ofNullable(global(userId).get(type));
    }

    /** The user's account data for the room: type → content. */
    public Map<String, JsonNode> room(String userId, String roomId) {
        missing.require("room account data", roomStreams);
        return room.get(List.of(userId, roomId), k -> byType(db.list(ROOM,
                rs -> new Entry(rs.getString(1), null, Columns.json(rs.getString(2))), k.get(0), k.get(1))));
    }

    /** The user's tags: room id → tag → tag content (e.g. {@code {"order": 0.5}}). */
    public Map<String, Map<String, JsonNode>> tags(String userId) {
        missing.require("tags", tagStreams);
        return tags.get(userId, u -> {
            Map<String, Map<String, JsonNode>> byRoom = new TreeMap<>();
            for (Entry e : db.list(TAGS, rs -> new Entry(rs.getString(1), rs.getString(2),
                    Columns.json(rs.getString(3))), u)) {
                byRoom.computeIfAbsent(e.first(), r -> new TreeMap<>()).put(e.second(), e.content());
            }
            byRoom.replaceAll((r, t) -> Collections.unmodifiableMap(t));
            return Collections.unmodifiableMap(byRoom);
        });
    }

    void onGlobal(Row row) {
        Invalidate.key(global, row.text("user_id"));
    }

    void onRoom(Row row) {
        Invalidate.pair(room, row.text("user_id"), row.text("room_id"));
    }

    void onTags(Row row) {
        Invalidate.key(tags, row.text("user_id"));
    }

    /** Handles a row of current Synapse's {@code account_data} stream. */
    void onAccountData(Row row) {
        String user = row.text("user_id");
        String room = row.text("room_id");
        String type = row.text("data_type");
        if (type == null) {
            // which of the three it was cannot be told: all the user's entries go
            Invalidate.key(global, user);
            Invalidate.key(tags, user);
            Invalidate.pair(this.room, user, room);
        } else if (room == null) {
            Invalidate.key(global, user);
        } else if (type.equals(TAG)) {
            Invalidate.key(tags, user);
        } else {
            Invalidate.pair(this.room, user, room);
        }
    }

    private static Map<String, JsonNode> byType(List<Entry> entries) {
        Map<String, JsonNode> m = new TreeMap<>();
        entries.forEach(e -> m.put(e.first(), e.content()));
        return Collections.unmodifiableMap(m);
    }
}
