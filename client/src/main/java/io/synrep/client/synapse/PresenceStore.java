package io.synrep.client.synapse;

import io.synrep.client.ReaderCache;
import io.synrep.client.Row;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Users' presence ({@code presence_stream}), cached per user.
 *
 * <p>Invalidation: {@code presence} rows → {@code get_presence_for_user} (key: {@code user_id}). A user's presence
 * is their row with the highest {@code stream_id}; the writer deletes older rows as compaction (no stream row),
 * which never changes that answer. Absence is cached too: a user's first presence arrives as a row. The same in both
 * schemas. Reads fail with a {@link StoreException} while the relay does not serve {@code presence}. Thread-safe.
 */
public final class PresenceStore {
    /** A user's latest presence. Timestamps are milliseconds since the epoch; null when the writer left them out. */
    public record Presence(String userId, String state, Long lastActiveTs, Long lastFederationUpdateTs,
                           Long lastUserSyncTs, String statusMsg, Boolean currentlyActive, long streamId) {}

    private static final String LATEST = "SELECT stream_id, user_id, state, last_active_ts,"
            + " last_federation_update_ts, last_user_sync_ts, status_msg, currently_active FROM presence_stream"
            + " WHERE user_id = ? ORDER BY stream_id DESC LIMIT 1";

    private final ConnectionPool db;
    private final MissingStreams missing;
    private final ReaderCache<String, Optional<Presence>> byUser;

    PresenceStore(ConnectionPool db, CacheRegistry registry, long cacheSize, MissingStreams missing) {
        this.db = db;
        this.missing = missing;
        this.byUser = registry.register(new ReaderCache<>("get_presence_for_user", cacheSize));
    }

    /** The user's presence, or empty when the writer never recorded one. */
    public Optional<Presence> presence(String userId) {
        missing.require("presence", List.of("presence"));
        return byUser.get(userId, u -> {
            List<Presence> found = db.list(LATEST, PresenceStore::presence, u);
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
        });
    }

    void onPresence(Row row) {
        Invalidate.key(byUser, row.text("user_id"));
    }

    private static Presence presence(ResultSet rs) throws SQLException {
        return new Presence(rs.getString("user_id"), rs.getString("state"), Columns.longOrNull(rs, "last_active_ts"),
                Columns.longOrNull(rs, "last_federation_update_ts"), Columns.longOrNull(rs, "last_user_sync_ts"),
                rs.getString("status_msg"), Columns.boolOrNull(rs, "currently_active"), rs.getLong("stream_id"));
    }
}
