package io.synrep.client.synapse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.synrep.client.ReaderCache;
import io.synrep.client.Row;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Events of the shared database, cached: an event by id, a room's latest events, a user's room memberships.
 *
 * <p>Invalidation, by rows of the {@code events} and {@code backfill} streams (handled alike):
 * <ul>
 *   <li>{@code get_event} (key: event id) — the row's {@code event_id}, and its {@code redacts}: a redaction changes
 *       what the redacted event reads as;</li>
 *   <li>{@code get_recent_event_ids_for_room} (key: room id) — the row's {@code room_id} (a null room, as on rows
 *       of events that stopped being outliers, drops the whole cache);</li>
 *   <li>{@code get_rooms_for_user} (key: user id) — for {@code type = m.room.member}, the row's {@code state_key}
 *       (the member); a member event without a state key (its {@code state_events} row was written in another
 *       transaction), or a row whose type is unknown, drops the whole cache, since its member cannot be known.</li>
 * </ul>
 * Rows of {@code kind = state} (current Synapse's state deltas on the events stream) change no event: they only
 * invalidate {@code get_rooms_for_user} as above. The caches stream may also name any cache. Every answer comes
 * from one SQL statement, so from one snapshot.
 *
 * <p>Both schemas ({@link SynapseSchema}): the state key is {@code events.state_key}, or in the seed schema that
 * column or else {@code state_events.state_key}; memberships come from {@code state_events} (seed) or
 * {@code room_memberships} (current).
 *
 * <p>Writer contract the freshness promise relies on (Synapse keeps it): an event's {@code events},
 * {@code event_json}, {@code state_events} or {@code room_memberships}, and {@code redactions} rows are written in
 * one transaction; events that should be read have a non-zero {@code stream_ordering}. Absence of an event is not
 * cached, so an event written without a stream row is still found. Reads fail with a {@link StoreException} while
 * the relay does not serve {@code events} or {@code backfill}. Thread-safe. Returned {@link JsonNode}s are shared:
 * do not modify them.
 */
public final class EventsStore {
    /** How many latest events are cached per room; longer lists are read from the database each time. */
    public static final int LATEST_CACHED = 50;

    /**
     * An event as readers see it. {@code content} comes from {@code events.content}, else from {@code event_json};
     * when {@code redactedBy} is set it is the redacted (pruned) content. {@code streamOrdering} is negative for
     * backfilled events.
     */
    public record Event(String eventId, String roomId, String type, String stateKey, String sender,
                        Long streamOrdering, long topologicalOrdering, Long originServerTs, boolean outlier,
                        String rejectionReason, String redactedBy, JsonNode content) {}

    /** One of a room's latest events. */
    public record RoomEvent(String eventId, long streamOrdering) {}

    /** A user's membership of a room: that of the member event with the highest positive stream ordering. */
    public record Membership(String roomId, String membership, String eventId, long streamOrdering) {}

    private static final String EVENT_COLUMNS = "SELECT e.event_id, e.room_id, e.type, %s"
            + " AS state_key, e.sender, e.stream_ordering, e.topological_ordering, e.origin_server_ts, e.outlier,"
            + " e.rejection_reason, e.content, j.json,"
            + " (SELECT r.event_id FROM redactions r JOIN events re ON re.event_id = r.event_id"
            + "   WHERE r.redacts = e.event_id AND re.room_id = e.room_id AND re.rejection_reason IS NULL"
            + "   ORDER BY r.event_id LIMIT 1) AS redacted_by"
            + " FROM events e LEFT JOIN event_json j ON j.event_id = e.event_id";
    private static final String EVENT_SEED = EVENT_COLUMNS.formatted("COALESCE(e.state_key, s.state_key)")
            + " LEFT JOIN state_events s ON s.event_id = e.event_id WHERE e.event_id = ?";
    private static final String EVENT_CURRENT = EVENT_COLUMNS.formatted("e.state_key") + " WHERE e.event_id = ?";
    // backfilled events (negative stream ordering) sort after every live one: they are older history
    private static final String LATEST = "SELECT event_id, stream_ordering FROM events"
            + " WHERE room_id = ? AND NOT outlier AND stream_ordering <> 0 ORDER BY stream_ordering DESC LIMIT ?";
    // live events only: a backfilled member event is history, never the current membership
    private static final String MEMBERSHIPS_SEED = "SELECT DISTINCT ON (e.room_id) e.room_id, e.event_id,"
            + " e.stream_ordering, e.content, j.json FROM state_events s JOIN events e ON e.event_id = s.event_id"
            + " LEFT JOIN event_json j ON j.event_id = e.event_id WHERE e.type = 'm.room.member' AND s.state_key = ?"
            + " AND e.stream_ordering > 0 AND NOT e.outlier AND e.rejection_reason IS NULL"
            + " ORDER BY e.room_id, e.stream_ordering DESC";
    // current Synapse keeps each member event's membership in room_memberships (indexed by user)
    private static final String MEMBERSHIPS_CURRENT = "SELECT DISTINCT ON (e.room_id) e.room_id, e.event_id,"
            + " e.stream_ordering, m.membership FROM room_memberships m JOIN events e ON e.event_id = m.event_id"
            + " WHERE m.user_id = ? AND e.type = 'm.room.member'"
            + " AND e.stream_ordering > 0 AND NOT e.outlier AND e.rejection_reason IS NULL"
            + " ORDER BY e.room_id, e.stream_ordering DESC";
    private static final List<String> STREAMS = List.of("events", "backfill");

    private final ConnectionPool db;
    private final MissingStreams missing;
    private final String eventSql;
    private final String membershipsSql;
    private final ConnectionPool.RowReader<Membership> membershipReader;
    private final ReaderCache<String, Event> events;
    private final ReaderCache<String, List<RoomEvent>> latest;
    private final ReaderCache<String, List<Membership>> memberships;

    EventsStore(ConnectionPool db, CacheRegistry registry, long cacheSize, SynapseSchema schema,
                MissingStreams missing) {
        this.db = db;
        this.missing = missing;
        boolean seed = schema == SynapseSchema.SEED;
        this.eventSql = seed ? EVENT_SEED : EVENT_CURRENT;
        this.membershipsSql = seed ? MEMBERSHIPS_SEED : MEMBERSHIPS_CURRENT;
        this.membershipReader = seed ? EventsStore::membership : EventsStore::membershipColumn;
        this.events = registry.register(new ReaderCache<>("get_event", cacheSize));
        this.latest = registry.register(new ReaderCache<>("get_recent_event_ids_for_room", cacheSize));
        this.memberships = registry.register(new ReaderCache<>("get_rooms_for_user", cacheSize));
    }

    /** The event, or empty when the database has none with that id. */
    public Optional<Event> event(String eventId) {
        missing.require("events", STREAMS);
        return Optional.ofNullable(events.get(eventId, this::loadEvent));
    }

    /** The room's {@code limit} latest non-outlier events, newest first, by stream ordering. */
    public List<RoomEvent> latestEvents(String roomId, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1");
        }
        missing.require("events", STREAMS);
        if (limit > LATEST_CACHED) {
            return db.list(LATEST, EventsStore::roomEvent, roomId, limit);
        }
        List<RoomEvent> all = latest.get(roomId, r -> db.list(LATEST, EventsStore::roomEvent, r, LATEST_CACHED));
        return all.size() <= limit ? all : all.subList(0, limit);
    }

    /** Every room the user has a membership of (join, invite, leave, ban, knock), ordered by room id. */
    public List<Membership> memberships(String userId) {
        missing.require("memberships", STREAMS);
        return memberships.get(userId, u -> db.list(membershipsSql, membershipReader, u));
    }

    /** The rooms the user is joined to, ordered by room id. */
    public List<String> joinedRooms(String userId) {
        List<String> rooms = new ArrayList<>();
        for (Membership m : memberships(userId)) {
            if ("join".equals(m.membership())) {
                rooms.add(m.roomId());
            }
        }
        return List.copyOf(rooms);
    }

    /** Handles a row of the {@code events} or {@code backfill} stream, of either schema. */
    void onEvent(Row row) {
        String type = row.text("type");
        if (type == null || type.equals("m.room.member")) {
            Invalidate.key(memberships, type == null ? null : row.text("state_key"));
        }
        if ("state".equals(row.text("kind"))) {
            return; // a state delta: no event changed, nothing new in the room's timeline
        }
        Invalidate.key(events, row.text("event_id"));
        String redacts = row.text("redacts");
        if (redacts != null) {
            events.invalidate(redacts);
        }
        Invalidate.key(latest, row.text("room_id"));
    }

    private Event loadEvent(String eventId) {
        List<Event> found = db.list(eventSql, EventsStore::event, eventId);
        return found.isEmpty() ? null : found.get(0);
    }

    private static Event event(ResultSet rs) throws SQLException {
        String type = rs.getString("type");
        String redactedBy = rs.getString("redacted_by");
        JsonNode content = content(rs);
        return new Event(rs.getString("event_id"), rs.getString("room_id"), type, rs.getString("state_key"),
                rs.getString("sender"), Columns.longOrNull(rs, "stream_ordering"), rs.getLong("topological_ordering"),
                Columns.longOrNull(rs, "origin_server_ts"), rs.getBoolean("outlier"), rs.getString("rejection_reason"),
                redactedBy, redactedBy == null ? content : Redaction.prune(type, content));
    }

    /** {@code events.content} when the writer filled it, else the content inside {@code event_json.json}. */
    private static JsonNode content(ResultSet rs) throws SQLException {
        String text = rs.getString("content");
        if (text != null) {
            return Columns.json(text);
        }
        JsonNode inJson = Columns.json(rs.getString("json")).path("content");
        return inJson.isMissingNode() ? NullNode.getInstance() : inJson;
    }

    private static RoomEvent roomEvent(ResultSet rs) throws SQLException {
        return new RoomEvent(rs.getString("event_id"), rs.getLong("stream_ordering"));
    }

    private static Membership membershipColumn(ResultSet rs) throws SQLException {
        return new Membership(rs.getString("room_id"), rs.getString("membership"), rs.getString("event_id"),
                rs.getLong("stream_ordering"));
    }

    private static Membership membership(ResultSet rs) throws SQLException {
        JsonNode m = content(rs).path("membership");
        return new Membership(rs.getString("room_id"), m.isTextual() ? m.asText() : null, rs.getString("event_id"),
                rs.getLong("stream_ordering"));
    }
}
