package io.synrep.writer;

import static io.synrep.writer.SynapseWorkload.INSTANCE;
import static io.synrep.writer.SynapseWorkload.nextval;
import static io.synrep.writer.SynapseWorkload.str;
import static io.synrep.writer.SynapseWorkload.update;

import io.synrep.writer.SynapseWorkload.Result;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Base64;
import java.util.Random;

/**
 * Synapse's event writes: a live or backfilled event into {@code events} and {@code event_json},
 * plus {@code state_events} for state and {@code redactions} for redactions, all in the caller's
 * transaction; and the later censoring of a redacted event. Not thread-safe.
 */
final class EventWrites {

    private final Population population;
    private final Random random;

    EventWrites(Population population, Random random) {
        this.population = population;
        this.random = random;
    }

    Result event(Connection c, boolean backfill) throws SQLException {
        long streamOrdering = backfill
                ? -nextval(c, "events_backfill_stream_seq")
                : nextval(c, "events_stream_seq");
        int room = random.nextInt(Population.ROOMS);
        String roomId = Population.roomId(room);
        String sender = population.user(random);
        String eventId = eventId(streamOrdering);
        long depth = population.depth(room, backfill, random);
        long now = System.currentTimeMillis();

        String type;
        String stateKey = null;
        String redacts = null;
        String content;
        boolean containsUrl = false;
        int roll = random.nextInt(100);
        String target = population.recentEvent(room, random);
        if (roll < 8 && target != null) {
            type = "m.room.redaction";
            redacts = target;
            content = "{\"reason\":\"spam\"}";
        } else if (roll < 28) {
            type = "m.room.member";
            String[] memberships = {"join", "join", "leave", "invite"};
            String membership = memberships[random.nextInt(memberships.length)];
            stateKey = membership.equals("invite") ? population.user(random) : sender;
            content = "{\"membership\":" + str(membership) + "}";
        } else if (roll < 36) {
            type = random.nextBoolean() ? "m.room.name" : "m.room.topic";
            stateKey = "";
            String key = type.equals("m.room.name") ? "name" : "topic";
            content = "{" + str(key) + ":" + str(key + " " + random.nextInt(1000)) + "}";
        } else if (roll < 44 && target != null) {
            type = "m.reaction";
            content = "{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":" + str(target)
                    + ",\"key\":\"+1\"}}";
        } else if (roll < 50) {
            type = "m.room.message";
            containsUrl = true;
            content = "{\"msgtype\":\"m.image\",\"body\":\"image.png\",\"url\":"
                    + str("mxc://" + Population.SERVER + "/" + Long.toHexString(random.nextLong())) + "}";
        } else {
            type = "m.room.message";
            content = "{\"msgtype\":\"m.text\",\"body\":" + str("message " + random.nextInt(1_000_000)) + "}";
        }

        int rows = update(c, "INSERT INTO events (topological_ordering, event_id, type, room_id, content,"
                        + " unrecognized_keys, processed, outlier, depth, origin_server_ts, received_ts, sender,"
                        + " contains_url, instance_name, stream_ordering, state_key, rejection_reason)"
                        + " VALUES (?, ?, ?, ?, ?, NULL, true, false, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                depth, eventId, type, roomId, content, depth, now, now, sender, containsUrl, INSTANCE,
                streamOrdering, stateKey);

        StringBuilder json = new StringBuilder(256)
                .append("{\"type\":").append(str(type))
                .append(",\"room_id\":").append(str(roomId))
                .append(",\"sender\":").append(str(sender))
                .append(",\"content\":").append(content)
                .append(",\"depth\":").append(depth)
                .append(",\"origin_server_ts\":").append(now);
        if (stateKey != null) {
            json.append(",\"state_key\":").append(str(stateKey));
        }
        if (redacts != null) {
            json.append(",\"redacts\":").append(str(redacts));
        }
        json.append(",\"prev_events\":[],\"auth_events\":[],\"hashes\":{},\"signatures\":{}}");
        rows += update(c, "INSERT INTO event_json (event_id, room_id, internal_metadata, json, format_version)"
                + " VALUES (?, ?, ?, ?, 3)", eventId, roomId, "{}", json.toString());

        if (stateKey != null) {
            rows += update(c, "INSERT INTO state_events (event_id, room_id, type, state_key, prev_state)"
                    + " VALUES (?, ?, ?, ?, NULL)", eventId, roomId, type, stateKey);
        }
        if (redacts != null) {
            rows += update(c, "INSERT INTO redactions (event_id, redacts, have_censored, received_ts)"
                    + " VALUES (?, ?, false, ?)", eventId, redacts, now);
        }
        String redacted = redacts;
        return new Result(rows, () -> {
            population.rememberEvent(room, eventId);
            if (redacted != null) {
                population.rememberRedacted(redacted);
            }
        });
    }

    /** Synapse later replaces a redacted event's JSON with its pruned form; no stream row results. */
    Result censor(Connection c) throws SQLException {
        String redacted = population.redactedEvent(random);
        if (redacted == null) {
            return event(c, false);
        }
        int rows = update(c, "UPDATE event_json SET json = ? WHERE event_id = ?",
                "{\"event_id\":" + str(redacted) + ",\"content\":{},\"unsigned\":{\"censored\":true}}", redacted);
        rows += update(c, "UPDATE redactions SET have_censored = true WHERE redacts = ? AND NOT have_censored",
                redacted);
        return Result.of(rows);
    }

    /** Room-version-3 style id; the stream ordering in it keeps ids unique across runs. */
    private String eventId(long streamOrdering) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        ByteBuffer.wrap(bytes).putLong(24, streamOrdering);
        return "$" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
