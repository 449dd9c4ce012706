package io.synrep.writer;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One writer thread's Synapse-style writes: each call of {@link #writeOne} performs one randomly
 * chosen write (events via {@link EventWrites}), in the caller's open transaction, with the table
 * and column names of {@code sql/schema.sql} and the built-in catalog. Not thread-safe; the
 * shared {@link Population} is.
 */
final class SynapseWorkload {

    static final String INSTANCE = "master";

    /** What a write did, and what to remember about it once it has committed. */
    record Result(int rows, Runnable afterCommit) {
        static Result of(int rows) {
            return new Result(rows, () -> { });
        }
    }

    private enum Kind {
        EVENT(36), BACKFILL(3), CENSOR(1), RECEIPT(12), PRESENCE(9), ACCOUNT_DATA(6),
        ROOM_ACCOUNT_DATA(5), TAG(5), PUSH_RULE(4), PUSHER(4), TO_DEVICE(7), DEVICE_LIST(4),
        CACHE(3), PUBLIC_ROOM(1);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    private static final int TOTAL_WEIGHT = Arrays.stream(Kind.values()).mapToInt(k -> k.weight).sum();

    private final Population population;
    private final Random random;
    private final EventWrites events;

    SynapseWorkload(Population population, Random random) {
        this.population = population;
        this.random = random;
        this.events = new EventWrites(population, random);
    }

    Result writeOne(Connection c) throws SQLException {
        Result result = switch (pick()) {
            case EVENT -> events.event(c, false);
            case BACKFILL -> events.event(c, true);
            case CENSOR -> events.censor(c);
            case RECEIPT -> receipt(c);
            case PRESENCE -> presence(c);
            case ACCOUNT_DATA -> accountData(c);
            case ROOM_ACCOUNT_DATA -> roomAccountData(c);
            case TAG -> tag(c);
            case PUSH_RULE -> pushRule(c);
            case PUSHER -> pusher(c);
            case TO_DEVICE -> toDevice(c);
            case DEVICE_LIST -> deviceList(c);
            case CACHE -> cacheInvalidation(c);
            case PUBLIC_ROOM -> publicRoom(c);
        };
        // Hold some transactions open a little after their stream id was taken, so that commit
        // order (the relay's positions) and stream-id order disagree, as they do in Synapse.
        if (random.nextInt(4) == 0) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500 + random.nextInt(4500)));
        }
        return result;
    }

    private Kind pick() {
        int n = random.nextInt(TOTAL_WEIGHT);
        for (Kind kind : Kind.values()) {
            n -= kind.weight;
            if (n < 0) {
                return kind;
            }
        }
        throw new AssertionError("weights do not add up");
    }

    // ---- receipts and presence ----------------------------------------------------------------

    private Result receipt(Connection c) throws SQLException {
        long streamId = nextval(c, "receipts_sequence");
        int room = random.nextInt(Population.ROOMS);
        String eventId = population.recentEvent(room, random);
        if (eventId == null) {
            eventId = "$unknown:" + Population.SERVER;
        }
        String receiptType = random.nextInt(5) == 0 ? "m.read.private" : "m.read";
        int rows = update(c, "INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id,"
                        + " data, instance_name, event_stream_ordering) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"
                        + " ON CONFLICT (room_id, receipt_type, user_id) DO UPDATE SET stream_id = EXCLUDED.stream_id,"
                        + " event_id = EXCLUDED.event_id, data = EXCLUDED.data, instance_name = EXCLUDED.instance_name,"
                        + " event_stream_ordering = EXCLUDED.event_stream_ordering",
                streamId, Population.roomId(room), receiptType, population.user(random), eventId,
                "{\"ts\":" + System.currentTimeMillis() + "}", INSTANCE);
        return Result.of(rows);
    }

    private Result presence(Connection c) throws SQLException {
        long streamId = nextval(c, "presence_stream_sequence");
        String userId = population.user(random);
        String[] states = {"online", "online", "unavailable", "offline"};
        String state = states[random.nextInt(states.length)];
        long now = System.currentTimeMillis();
        String[] messages = {null, null, "in a meeting", "lunch"};
        int rows = update(c, "INSERT INTO presence_stream (stream_id, user_id, state, last_active_ts,"
                        + " last_federation_update_ts, last_user_sync_ts, status_msg, currently_active, instance_name)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                streamId, userId, state, now - random.nextInt(60_000), now, now - random.nextInt(30_000),
                messages[random.nextInt(messages.length)], state.equals("online"), INSTANCE);
        // Synapse keeps only each user's latest presence row; the delete is compaction.
        rows += update(c, "DELETE FROM presence_stream WHERE user_id = ? AND stream_id < ?", userId, streamId);
        return Result.of(rows);
    }

    // ---- account data and tags ----------------------------------------------------------------

    private Result accountData(Connection c) throws SQLException {
        long streamId = nextval(c, "account_data_sequence");
        String userId = population.user(random);
        String[] types = {"m.direct", "m.ignored_user_list", "im.vector.setting.breadcrumbs"};
        String type = types[random.nextInt(types.length)];
        String someRoom = str(Population.roomId(random.nextInt(Population.ROOMS)));
        String content = switch (type) {
            case "m.direct" -> "{" + str(population.user(random)) + ":[" + someRoom + "]}";
            case "m.ignored_user_list" -> "{\"ignored_users\":{" + str(population.user(random)) + ":{}}}";
            default -> "{\"recent_rooms\":[" + someRoom + "]}";
        };
        int rows = update(c, "INSERT INTO account_data (user_id, account_data_type, stream_id, content, instance_name)"
                        + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, account_data_type) DO UPDATE SET"
                        + " stream_id = EXCLUDED.stream_id, content = EXCLUDED.content,"
                        + " instance_name = EXCLUDED.instance_name",
                userId, type, streamId, content, INSTANCE);
        return Result.of(rows);
    }

    private Result roomAccountData(Connection c) throws SQLException {
        long streamId = nextval(c, "account_data_sequence");
        int room = random.nextInt(Population.ROOMS);
        String type;
        String content;
        String eventId = population.recentEvent(room, random);
        if (eventId != null && random.nextBoolean()) {
            type = "m.fully_read";
            content = "{\"event_id\":" + str(eventId) + "}";
        } else {
            type = "m.marked_unread";
            content = "{\"unread\":" + random.nextBoolean() + "}";
        }
        int rows = update(c, "INSERT INTO room_account_data (user_id, room_id, account_data_type, stream_id, content,"
                        + " instance_name) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, room_id, account_data_type)"
                        + " DO UPDATE SET stream_id = EXCLUDED.stream_id, content = EXCLUDED.content,"
                        + " instance_name = EXCLUDED.instance_name",
                population.user(random), Population.roomId(room), type, streamId, content, INSTANCE);
        return Result.of(rows);
    }

    private Result tag(Connection c) throws SQLException {
        long streamId = nextval(c, "account_data_sequence");
        String userId = population.user(random);
        String roomId = Population.roomId(random.nextInt(Population.ROOMS));
        String[] tags = {"m.favourite", "m.lowpriority", "u.work"};
        String tag = tags[random.nextInt(tags.length)];
        int rows;
        if (random.nextInt(5) == 0) {
            rows = update(c, "DELETE FROM room_tags WHERE user_id = ? AND room_id = ? AND tag = ?",
                    userId, roomId, tag);
        } else {
            rows = update(c, "INSERT INTO room_tags (user_id, room_id, tag, content) VALUES (?, ?, ?, ?)"
                            + " ON CONFLICT (user_id, room_id, tag) DO UPDATE SET content = EXCLUDED.content",
                    userId, roomId, tag, "{\"order\":" + random.nextInt(100) / 100.0 + "}");
        }
        rows += update(c, "INSERT INTO room_tags_revisions (user_id, room_id, stream_id, instance_name)"
                        + " VALUES (?, ?, ?, ?) ON CONFLICT (user_id, room_id) DO UPDATE SET"
                        + " stream_id = EXCLUDED.stream_id, instance_name = EXCLUDED.instance_name",
                userId, roomId, streamId, INSTANCE);
        return Result.of(rows);
    }

    // ---- push rules and pushers ---------------------------------------------------------------

    private Result pushRule(Connection c) throws SQLException {
        long streamId = nextval(c, "push_rules_stream_sequence");
        long eventStreamOrdering;
        try (PreparedStatement s = c.prepareStatement("SELECT last_value FROM events_stream_seq");
             ResultSet r = s.executeQuery()) {
            r.next();
            eventStreamOrdering = r.getLong(1);
        }
        String userId = population.user(random);
        String ruleId = "global/content/keyword" + random.nextInt(5);
        String[] ops = {"ADD", "ADD", "DELETE", "ENABLE", "DISABLE", "ACTIONS"};
        String op = ops[random.nextInt(ops.length)];
        Integer priorityClass = null;
        Integer priority = null;
        String conditions = null;
        String actions = null;
        if (op.equals("ADD")) {
            priorityClass = 4;
            priority = random.nextInt(10);
            conditions = "[{\"kind\":\"event_match\",\"key\":\"content.body\",\"pattern\":\"keyword\"}]";
            actions = "[\"notify\",{\"set_tweak\":\"highlight\"}]";
        } else if (op.equals("ACTIONS")) {
            actions = "[\"dont_notify\"]";
        }
        int rows = update(c, "INSERT INTO push_rules_stream (stream_id, event_stream_ordering, user_id, rule_id, op,"
                        + " priority_class, priority, conditions, actions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                streamId, eventStreamOrdering, userId, ruleId, op, priorityClass, priority, conditions, actions);
        return Result.of(rows);
    }

    private Result pusher(Connection c) throws SQLException {
        long id = nextval(c, "pushers_sequence");
        String userName = population.user(random);
        String appId = random.nextBoolean() ? "io.synrep.android" : "io.synrep.ios";
        String pushkey = "pushkey-" + random.nextInt(Population.DEVICES_PER_USER);
        if (random.nextInt(4) == 0) {
            int deleted = update(c, "DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_name = ?",
                    appId, pushkey, userName);
            if (deleted > 0) {
                int rows = update(c, "INSERT INTO deleted_pushers (stream_id, app_id, pushkey, user_id)"
                        + " VALUES (?, ?, ?, ?)", id, appId, pushkey, userName);
                return Result.of(deleted + rows);
            }
        }
        long now = System.currentTimeMillis();
        int rows = update(c, "INSERT INTO pushers (id, user_name, access_token, profile_tag, kind, app_id,"
                        + " app_display_name, device_display_name, pushkey, ts, lang, data, last_stream_ordering)"
                        + " VALUES (?, ?, NULL, '', 'http', ?, ?, ?, ?, ?, ?, ?, NULL)"
                        + " ON CONFLICT (app_id, pushkey, user_name) DO UPDATE SET id = EXCLUDED.id,"
                        + " kind = EXCLUDED.kind, app_display_name = EXCLUDED.app_display_name,"
                        + " device_display_name = EXCLUDED.device_display_name, ts = EXCLUDED.ts,"
                        + " lang = EXCLUDED.lang, data = EXCLUDED.data",
                id, userName, appId, "Synrep", "Phone " + random.nextInt(10), pushkey, now,
                random.nextBoolean() ? "en" : "de", "{\"url\":\"https://push.synrep.test/_matrix/push/v1/notify\"}");
        return Result.of(rows);
    }

    // ---- to-device and device lists -----------------------------------------------------------

    private Result toDevice(Connection c) throws SQLException {
        long streamId = nextval(c, "device_inbox_sequence");
        long now = System.currentTimeMillis();
        if (random.nextInt(3) == 0) {
            String destination = "remote" + random.nextInt(Population.DESTINATIONS) + ".example.org";
            int rows = update(c, "INSERT INTO device_federation_outbox (destination, stream_id, queued_ts,"
                            + " messages_json, instance_name) VALUES (?, ?, ?, ?, ?)",
                    destination, streamId, now, "{\"messages\":{},\"type\":\"m.room_key_request\"}", INSTANCE);
            return Result.of(rows);
        }
        String userId = population.user(random);
        int devices = 1 + random.nextInt(Population.DEVICES_PER_USER);
        int rows = 0;
        String message = "{\"type\":\"m.room_key\",\"sender\":" + str(population.user(random)) + ",\"content\":{}}";
        for (int d = 0; d < devices; d++) {
            rows += update(c, "INSERT INTO device_inbox (user_id, device_id, stream_id, message_json, instance_name)"
                            + " VALUES (?, ?, ?, ?, ?)",
                    userId, Population.deviceId(d), streamId, message, INSTANCE);
        }
        if (random.nextInt(5) == 0) {
            // The device fetched its messages; deleting them is compaction and produces no stream row.
            rows += update(c, "DELETE FROM device_inbox WHERE user_id = ? AND device_id = ? AND stream_id < ?",
                    userId, Population.deviceId(0), streamId);
        }
        return Result.of(rows);
    }

    private Result deviceList(Connection c) throws SQLException {
        long streamId = nextval(c, "device_lists_sequence");
        String userId = population.user(random);
        int devices = 1 + random.nextInt(2);
        int first = random.nextInt(Population.DEVICES_PER_USER);
        int rows = 0;
        for (int d = 0; d < devices; d++) {
            rows += update(c, "INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (?, ?, ?)",
                    streamId, userId, Population.deviceId((first + d) % Population.DEVICES_PER_USER));
        }
        return Result.of(rows);
    }

    // ---- cache invalidation and public rooms --------------------------------------------------

    private Result cacheInvalidation(Connection c) throws SQLException {
        long streamId = nextval(c, "cache_invalidation_stream_seq");
        String cacheFunc;
        String[] keys;
        switch (random.nextInt(4)) {
            case 0 -> {
                cacheFunc = "get_user_by_id";
                keys = new String[] {population.user(random)};
            }
            case 1 -> {
                cacheFunc = "get_aliases_for_room";
                keys = new String[] {Population.roomId(random.nextInt(Population.ROOMS))};
            }
            case 2 -> {
                cacheFunc = "get_users_in_room";
                keys = new String[] {Population.roomId(random.nextInt(Population.ROOMS))};
            }
            default -> {
                cacheFunc = "get_e2e_unused_fallback_key_types";
                String device = Population.deviceId(random.nextInt(Population.DEVICES_PER_USER));
                keys = new String[] {population.user(random), device};
            }
        }
        Array keyArray = c.createArrayOf("text", keys);
        int rows = update(c, "INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts)"
                + " VALUES (?, ?, ?, ?)", streamId, cacheFunc, keyArray, System.currentTimeMillis());
        return Result.of(rows);
    }

    private Result publicRoom(Connection c) throws SQLException {
        long streamId = nextval(c, "public_room_list_stream_sequence");
        boolean bridged = random.nextInt(5) == 0;
        int rows = update(c, "INSERT INTO public_room_list_stream (stream_id, room_id, visibility, appservice_id,"
                        + " network_id) VALUES (?, ?, ?, ?, ?)",
                streamId, Population.roomId(random.nextInt(Population.ROOMS)), random.nextBoolean(),
                bridged ? "irc-bridge" : null, bridged ? "libera" : null);
        return Result.of(rows);
    }

    // ---- helpers ------------------------------------------------------------------------------

    static long nextval(Connection c, String sequence) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT nextval(?::regclass)")) {
            s.setString(1, sequence);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            return s.executeUpdate();
        }
    }

    /** A JSON string literal. */
    static String str(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
