package io.synrep.it;

import static io.synrep.it.WorkerWrites.AD_TYPES;
import static io.synrep.it.WorkerWrites.APPS;
import static io.synrep.it.WorkerWrites.PUSHKEYS;
import static io.synrep.it.WorkerWrites.RAD_TYPES;
import static io.synrep.it.WorkerWrites.RECEIPT_TYPES;
import static io.synrep.it.WorkerWrites.ROOMS;
import static io.synrep.it.WorkerWrites.TAGS;
import static io.synrep.it.WorkerWrites.USERS;
import static io.synrep.it.WorkerWrites.adKey;
import static io.synrep.it.WorkerWrites.pusherKey;
import static io.synrep.it.WorkerWrites.radKey;
import static io.synrep.it.WorkerWrites.receiptKey;
import static io.synrep.it.WorkerWrites.room;
import static io.synrep.it.WorkerWrites.tagKey;
import static io.synrep.it.WorkerWrites.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads of a worker's read API over HTTP, turned into comparable observations, and the same observations read
 * directly from the database. Observations:
 * <ul>
 *   <li>account data, room account data, receipts, tags, pushers: {@code Map<key, version>} with the keys of
 *       {@link WorkerWrites} (an absent key: not in the map);</li>
 *   <li>latest events: {@link Latest} (ids and stream orderings, newest first);</li>
 *   <li>memberships: {@code Map<room, "eventId|membership">};</li>
 *   <li>an event: null when 404, "" when not redacted, else the redacting event's id;</li>
 *   <li>push rules: the set of rule ids; presence: the stream id (0 when none); changed since: a boolean.</li>
 * </ul>
 * The worker answers the same JSON over both schemas ({@link WorkerSchema}); a threaded receipt's key ends with its
 * thread. The database reads differ where the tables do: threaded receipts, memberships from
 * {@code room_memberships} and push rules from {@code push_rules} on current Synapse's schema.
 */
final class WorkerReads {
    private static final ObjectMapper JSON = new ObjectMapper();

    enum Kind { AD_ALL, AD_ONE, RAD, RC_USER, RC_ROOM, LATEST, ROOMS, EVENT, TAGS, PUSHERS, RULES, PRESENCE,
        CHANGED_USER, CHANGED_ROOM }

    /** One read: {@code a} is the user, room or event id; {@code b} a type or room; {@code n} a limit or position. */
    record Query(Kind kind, String a, String b, long n) {
        String path() {
            return switch (kind) {
                case AD_ALL -> "/users/" + a + "/account_data";
                case AD_ONE -> "/users/" + a + "/account_data/" + b;
                case RAD -> "/users/" + a + "/rooms/" + b + "/account_data";
                case RC_USER -> "/users/" + a + "/receipts";
                case RC_ROOM -> "/rooms/" + a + "/receipts";
                case LATEST -> "/rooms/" + a + "/latest_events?limit=" + n;
                case ROOMS -> "/users/" + a + "/rooms";
                case EVENT -> "/events/" + a.replace("$", "%24");
                case TAGS -> "/users/" + a + "/tags";
                case PUSHERS -> "/users/" + a + "/pushers";
                case RULES -> "/users/" + a + "/push_rules";
                case PRESENCE -> "/users/" + a + "/presence";
                case CHANGED_USER -> "/users/" + a + "/changed_since/" + n;
                case CHANGED_ROOM -> "/rooms/" + a + "/changed_since/" + n;
            };
        }

        @Override
        public String toString() {
            return path();
        }
    }

    /** A room's latest events as answered: ids and stream orderings, newest first. */
    record Latest(List<String> ids, List<Long> orderings) {}

    /** One answer: which worker, the query, the position it carried, the observation. */
    record Answer(int worker, Query query, long position, Object observed) {}

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final WorkerSchema schema;

    WorkerReads() {
        this(WorkerSchema.SEED);
    }

    WorkerReads(WorkerSchema schema) {
        this.schema = schema;
    }

    /** Asks the worker at {@code base}; any status but 200 (or 404 where absence is an answer) is an error. */
    Answer read(int worker, String base, Query q) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + q.path()))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        boolean absentOk = q.kind() == Kind.EVENT || q.kind() == Kind.AD_ONE;
        if (r.statusCode() != 200 && !(absentOk && r.statusCode() == 404)) {
            throw new AssertionError("GET " + q.path() + " -> " + r.statusCode() + " " + r.body());
        }
        JsonNode body = JSON.readTree(r.body());
        if (!body.path("position").isIntegralNumber()) {
            throw new AssertionError("GET " + q.path() + ": no position in " + r.body());
        }
        if (r.statusCode() == 404 && !"M_NOT_FOUND".equals(body.path("errcode").asText())) {
            throw new AssertionError("GET " + q.path() + " -> 404 " + r.body());
        }
        Object observed = r.statusCode() == 404 ? null : parse(q, body);
        return new Answer(worker, q, body.path("position").asLong(), observed);
    }

    private static Object parse(Query q, JsonNode body) {
        return switch (q.kind()) {
            case AD_ALL -> {
                Map<String, Long> m = new TreeMap<>();
                body.path("account_data").properties().forEach(e -> m.put(adKey(q.a(), e.getKey()), v(e.getValue())));
                yield m;
            }
            case AD_ONE -> v(body.path("content"));
            case RAD -> {
                Map<String, Long> m = new TreeMap<>();
                body.path("account_data").properties().forEach(e ->
                        m.put(radKey(q.a(), q.b(), e.getKey()), v(e.getValue())));
                yield m;
            }
            case RC_USER, RC_ROOM -> {
                Map<String, Long> m = new TreeMap<>();
                for (JsonNode r : body.path("receipts")) {
                    JsonNode thread = r.path("thread_id");
                    m.put(receiptKey(r.path("room_id").asText(), r.path("receipt_type").asText(),
                            r.path("user_id").asText(), thread.isTextual() ? thread.asText() : null),
                            v(r.path("data")));
                }
                yield m;
            }
            case LATEST -> {
                List<String> ids = new ArrayList<>();
                List<Long> orderings = new ArrayList<>();
                for (JsonNode e : body.path("events")) {
                    ids.add(e.path("event_id").asText());
                    orderings.add(e.path("stream_ordering").asLong());
                }
                yield new Latest(ids, orderings);
            }
            case ROOMS -> {
                Map<String, String> m = new TreeMap<>();
                for (JsonNode e : body.path("rooms")) {
                    m.put(e.path("room_id").asText(),
                            e.path("event_id").asText() + "|" + e.path("membership").asText());
                }
                yield m;
            }
            case EVENT -> {
                JsonNode by = body.path("event").path("redacted_by");
                yield by.isTextual() ? by.asText() : "";
            }
            case TAGS -> {
                Map<String, Long> m = new TreeMap<>();
                body.path("tags").properties().forEach(r -> r.getValue().properties().forEach(t ->
                        m.put(tagKey(q.a(), r.getKey(), t.getKey()), v(t.getValue()))));
                yield m;
            }
            case PUSHERS -> {
                Map<String, Long> m = new TreeMap<>();
                for (JsonNode p : body.path("pushers")) {
                    m.put(pusherKey(p.path("user_name").asText(), p.path("app_id").asText(),
                            p.path("pushkey").asText()), v(p.path("data")));
                }
                yield m;
            }
            case RULES -> {
                TreeSet<String> s = new TreeSet<>();
                body.path("push_rules").path("rules").forEach(r -> s.add(r.path("rule_id").asText()));
                yield s;
            }
            case PRESENCE -> body.path("presence").isNull() ? 0L : body.path("presence").path("stream_id").asLong();
            case CHANGED_USER, CHANGED_ROOM -> body.path("changed").asBoolean();
        };
    }

    /** The {@code v} of a versioned JSON value; -1 when it has none (never a valid version). */
    private static long v(JsonNode n) {
        return n.path("v").asLong(-1);
    }

    /** A random query over the keys the writer writes. */
    static Query randomQuery(Random random, WorkerWrites writes, long recentPosition) {
        String u = user(random.nextInt(USERS));
        String r = room(random.nextInt(ROOMS));
        int pick = random.nextInt(100);
        if (pick < 10) {
            return new Query(Kind.AD_ALL, u, null, 0);
        } else if (pick < 20) {
            return new Query(Kind.AD_ONE, u, AD_TYPES.get(random.nextInt(AD_TYPES.size())), 0);
        } else if (pick < 27) {
            return new Query(Kind.RAD, u, r, 0);
        } else if (pick < 37) {
            return new Query(Kind.RC_USER, u, null, 0);
        } else if (pick < 42) {
            return new Query(Kind.RC_ROOM, r, null, 0);
        } else if (pick < 56) {
            int[] limits = {1, 5, 20, 50, 60};
            return new Query(Kind.LATEST, r, null, limits[random.nextInt(limits.length)]);
        } else if (pick < 66) {
            return new Query(Kind.ROOMS, u, null, 0);
        } else if (pick < 74) {
            String id;
            int which = random.nextInt(10);
            if (which < 4) {
                id = writes.someRedacted(random);
            } else if (which < 8) {
                id = writes.someEvent(random);
            } else {
                // an id that may not be committed yet: absence must then be answered 404
                id = "$e" + (writes.maxStreamOrdering.get() + random.nextInt(8) - 2) + ".w";
            }
            return new Query(Kind.EVENT, id == null ? "$e1.w" : id, null, 0);
        } else if (pick < 80) {
            return new Query(Kind.TAGS, u, null, 0);
        } else if (pick < 85) {
            return new Query(Kind.PUSHERS, u, null, 0);
        } else if (pick < 90) {
            return new Query(Kind.RULES, u, null, 0);
        } else if (pick < 96) {
            return new Query(Kind.PRESENCE, u, null, 0);
        } else if (pick < 98) {
            return new Query(Kind.CHANGED_USER, u, null, Math.max(0, recentPosition));
        } else {
            return new Query(Kind.CHANGED_ROOM, r, null, Math.max(0, recentPosition));
        }
    }

    /** A query of what {@code row} (a row of the relay) changed, or null when the worker has no read of it. */
    static Query queryFor(WorkerTap.TapRow row) {
        String user = row.text("user_id");
        return switch (row.stream()) {
            case "user_account_data" -> new Query(Kind.AD_ONE, user, row.text("type"), 0);
            // current Synapse: one stream for global and room account data and tags
            case "account_data" -> row.text("room_id") == null ? new Query(Kind.AD_ONE, user, row.text("data_type"), 0)
                    : "m.tag".equals(row.text("data_type")) ? new Query(Kind.TAGS, user, null, 0)
                    : new Query(Kind.RAD, user, row.text("room_id"), 0);
            case "room_account_data" -> new Query(Kind.RAD, user, row.text("room_id"), 0);
            case "receipts" -> row.position() % 2 == 0 ? new Query(Kind.RC_USER, user, null, 0)
                    : new Query(Kind.RC_ROOM, row.text("room_id"), null, 0);
            case "events" -> "m.room.member".equals(row.text("type"))
                    ? new Query(Kind.ROOMS, row.text("state_key"), null, 0)
                    : row.text("redacts") != null ? new Query(Kind.EVENT, row.text("redacts"), null, 0)
                    : new Query(Kind.LATEST, row.text("room_id"), null, row.position() % 2 == 0 ? 20 : 60);
            case "backfill" -> new Query(Kind.LATEST, row.text("room_id"), null, 60);
            case "presence" -> new Query(Kind.PRESENCE, user, null, 0);
            case "tag_account_data" -> new Query(Kind.TAGS, user, null, 0);
            case "push_rules" -> new Query(Kind.RULES, user, null, 0);
            case "pushers" -> new Query(Kind.PUSHERS, row.text("user_name") != null ? row.text("user_name") : user,
                    null, 0);
            case "deleted_pushers" -> new Query(Kind.PUSHERS, user, null, 0);
            default -> null;
        };
    }

    /** Every query of a full comparison with the database (no change-cache questions: the database has none). */
    static List<Query> allQueries(List<String> events) {
        List<Query> all = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            String u = user(i);
            for (Kind k : List.of(Kind.AD_ALL, Kind.RC_USER, Kind.ROOMS, Kind.TAGS, Kind.PUSHERS, Kind.RULES,
                    Kind.PRESENCE)) {
                all.add(new Query(k, u, null, 0));
            }
            for (String t : AD_TYPES) {
                all.add(new Query(Kind.AD_ONE, u, t, 0));
            }
            for (int r = 0; r < ROOMS; r++) {
                all.add(new Query(Kind.RAD, u, room(r), 0));
            }
        }
        for (int r = 0; r < ROOMS; r++) {
            all.add(new Query(Kind.RC_ROOM, room(r), null, 0));
            all.add(new Query(Kind.LATEST, room(r), null, 20));
            all.add(new Query(Kind.LATEST, room(r), null, 60));
        }
        for (String e : events) {
            all.add(new Query(Kind.EVENT, e, null, 0));
        }
        return all;
    }

    /** The observation of {@code q} read directly from the database (the definition of the right answer). */
    static Object fromDatabase(Connection c, Query q, WorkerSchema schema) throws SQLException {
        String u = q.a();
        boolean current = schema == WorkerSchema.CURRENT;
        // a threaded receipt's key ends with its thread (receiptKey)
        String thread = current ? " || coalesce('|' || thread_id, '')" : "";
        return switch (q.kind()) {
            case AD_ALL -> versions(c, "SELECT account_data_type, content FROM account_data WHERE user_id = ?",
                    rs -> adKey(u, rs.getString(1)), u);
            case AD_ONE -> versions(c, "SELECT account_data_type, content FROM account_data WHERE user_id = ?"
                    + " AND account_data_type = ?", rs -> adKey(u, rs.getString(1)), u, q.b()).get(adKey(u, q.b()));
            case RAD -> versions(c, "SELECT account_data_type, content FROM room_account_data WHERE user_id = ?"
                    + " AND room_id = ?", rs -> radKey(u, q.b(), rs.getString(1)), u, q.b());
            case RC_USER -> versions(c, "SELECT room_id || '|' || receipt_type, data, ''" + thread
                    + " FROM receipts_linearized WHERE user_id = ?", rs -> "rc|" + rs.getString(1) + "|" + u
                    + rs.getString(3), u);
            case RC_ROOM -> versions(c, "SELECT receipt_type || '|' || user_id" + thread + ", data"
                    + " FROM receipts_linearized WHERE room_id = ?", rs -> "rc|" + u + "|" + rs.getString(1), u);
            case LATEST -> {
                List<String> ids = new ArrayList<>();
                List<Long> orderings = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT event_id, stream_ordering FROM events"
                        + " WHERE room_id = ? AND NOT outlier AND stream_ordering <> 0"
                        + " ORDER BY stream_ordering DESC LIMIT ?")) {
                    ps.setString(1, u);
                    ps.setLong(2, q.n());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                            orderings.add(rs.getLong(2));
                        }
                    }
                }
                yield new Latest(ids, orderings);
            }
            case ROOMS -> {
                // the member event with the highest (live) stream ordering per room, by the events table alone
                // (current Synapse: the membership is room_memberships', events.content is not written)
                Map<String, String> m = new TreeMap<>();
                try (PreparedStatement ps = c.prepareStatement(current
                        ? "SELECT DISTINCT ON (e.room_id) e.room_id, e.event_id, m.membership FROM events e"
                        + " JOIN room_memberships m ON m.event_id = e.event_id WHERE e.type = 'm.room.member'"
                        + " AND e.state_key = ? AND e.stream_ordering > 0 ORDER BY e.room_id, e.stream_ordering DESC"
                        : "SELECT DISTINCT ON (room_id) room_id, event_id,"
                        + " content::json->>'membership' FROM events WHERE type = 'm.room.member' AND state_key = ?"
                        + " AND stream_ordering > 0 ORDER BY room_id, stream_ordering DESC")) {
                    ps.setString(1, u);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            m.put(rs.getString(1), rs.getString(2) + "|" + rs.getString(3));
                        }
                    }
                }
                yield m;
            }
            case EVENT -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT min(r.event_id) FROM redactions r"
                        + " WHERE r.redacts = e.event_id) FROM events e WHERE e.event_id = ?")) {
                    ps.setString(1, u);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            yield null;
                        }
                        String by = rs.getString(1);
                        yield by == null ? "" : by;
                    }
                }
            }
            case TAGS -> versions(c, "SELECT room_id || '|' || tag, content FROM room_tags WHERE user_id = ?",
                    rs -> "tag|" + u + "|" + rs.getString(1), u);
            case PUSHERS -> versions(c, "SELECT app_id || '|' || pushkey, data FROM pushers WHERE user_name = ?",
                    rs -> "pusher|" + u + "|" + rs.getString(1), u);
            case RULES -> {
                // each rule id is ADDed once and DELETEd at most once; current Synapse keeps the rules themselves
                TreeSet<String> s = new TreeSet<>();
                try (PreparedStatement ps = c.prepareStatement(current
                        ? "SELECT rule_id FROM push_rules WHERE user_name = ?"
                        : "SELECT rule_id FROM push_rules_stream"
                        + " WHERE user_id = ? GROUP BY rule_id HAVING bool_and(op <> 'DELETE')")) {
                    ps.setString(1, u);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            s.add(rs.getString(1));
                        }
                    }
                }
                yield s;
            }
            case PRESENCE -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(stream_id), 0) FROM"
                        + " presence_stream WHERE user_id = ?")) {
                    ps.setString(1, u);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        yield rs.getLong(1);
                    }
                }
            }
            case CHANGED_USER, CHANGED_ROOM -> throw new IllegalArgumentException("no database answer to " + q);
        };
    }

    private interface KeyOf {
        String key(ResultSet rs) throws SQLException;
    }

    private static Map<String, Long> versions(Connection c, String sql, KeyOf key, String... args)
            throws SQLException {
        Map<String, Long> m = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    m.put(key.key(rs), WorkerWrites.version(rs.getString(2)));
                }
            }
        }
        return m;
    }

    /** Every query of {@link #allQueries} answered by the worker (this also fills its caches). */
    Map<Query, Object> observeAll(int worker, String base, List<String> events)
            throws IOException, InterruptedException {
        Map<Query, Object> all = new java.util.LinkedHashMap<>();
        for (Query q : allQueries(events)) {
            all.put(q, read(worker, base, q).observed());
        }
        return all;
    }

    /**
     * Reads every query of {@link #allQueries} from the worker and from the database and returns the differences.
     * Call when the writer is idle and the worker's position is past its last commit: then both must agree exactly.
     */
    List<String> compareWithDatabase(int worker, String base, Connection db, List<String> events)
            throws IOException, InterruptedException, SQLException {
        List<String> diffs = new ArrayList<>();
        for (Map.Entry<Query, Object> e : observeAll(worker, base, events).entrySet()) {
            Object expected = fromDatabase(db, e.getKey(), schema);
            if (!Objects.equals(e.getValue(), expected)) {
                diffs.add(e.getKey() + ": worker " + e.getValue() + ", database " + expected);
            }
        }
        return diffs;
    }

    /**
     * The subkeys a versioned-map answer speaks for (absent from the map: absent); receipts in each of
     * {@code threads} (null: unthreaded).
     */
    static List<String> domain(Query q, List<String> threads) {
        List<String> keys = new ArrayList<>();
        switch (q.kind()) {
            case AD_ALL -> AD_TYPES.forEach(t -> keys.add(adKey(q.a(), t)));
            case AD_ONE -> keys.add(adKey(q.a(), q.b()));
            case RAD -> RAD_TYPES.forEach(t -> keys.add(radKey(q.a(), q.b(), t)));
            case RC_USER -> {
                for (int r = 0; r < ROOMS; r++) {
                    for (String t : RECEIPT_TYPES) {
                        for (String thread : threads) {
                            keys.add(receiptKey(room(r), t, q.a(), thread));
                        }
                    }
                }
            }
            case RC_ROOM -> {
                for (int i = 0; i < USERS; i++) {
                    for (String t : RECEIPT_TYPES) {
                        for (String thread : threads) {
                            keys.add(receiptKey(q.a(), t, user(i), thread));
                        }
                    }
                }
            }
            case TAGS -> {
                for (int r = 0; r < ROOMS; r++) {
                    for (String t : TAGS) {
                        keys.add(tagKey(q.a(), room(r), t));
                    }
                }
            }
            case PUSHERS -> {
                for (String app : APPS) {
                    for (String pk : PUSHKEYS) {
                        keys.add(pusherKey(q.a(), app, pk));
                    }
                }
            }
            default -> throw new IllegalArgumentException(q.kind() + " is not a versioned map");
        }
        return keys;
    }
}
