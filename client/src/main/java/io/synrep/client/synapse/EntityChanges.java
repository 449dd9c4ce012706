package io.synrep.client.synapse;

import io.synrep.client.Row;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The reader's three "has this entity changed since position P?" caches — rooms, users, devices — fed by every
 * followed stream. Which rows mark what:
 * <ul>
 *   <li>rooms: {@code events}, {@code backfill} ({@code room_id}), {@code receipts} ({@code room_id}),
 *       {@code public_rooms} ({@code room_id});</li>
 *   <li>users: {@code events}/{@code backfill} member events ({@code state_key}; also current Synapse's state
 *       deltas, {@code kind = state}), {@code receipts}, {@code presence}, the account data streams (the seed's
 *       three, current Synapse's {@code account_data}), {@code push_rules} ({@code user_id}), {@code pushers}
 *       ({@code user_name} in the seed schema, {@code user_id} in current Synapse), {@code deleted_pushers},
 *       {@code device_lists} ({@code user_id}), {@code to_device} ({@code entity} when it is a user id, i.e.
 *       starts with {@code @}; otherwise it is a remote server);</li>
 *   <li>devices: {@code device_lists} ({@link #deviceKey(String, String) user and device}); current Synapse's
 *       signature rows ({@code is_signature}) name no device and mark only the user.</li>
 * </ul>
 * Marking more than needed is safe ("may have changed"); marking less would not be. So a cache fed by a stream the
 * relay does not serve is {@linkplain #blind blind}: it answers every question "yes" until the stream is served
 * again.
 *
 * <p>Positions are stream positions (commit LSNs), shared by all streams. Until the first row after a start or a
 * resync the caches know nothing and answer every question "yes"; the first row at position Q sets their knowledge
 * to start at Q - 1, which is right because the relay delivers every row after the reader's token, in order.
 * Rows are marked by the reader thread; {@link #reset()} and queries are thread-safe.
 */
final class EntityChanges {
    /** "Knows nothing yet": every question is answered conservatively. */
    private static final long UNKNOWN = Long.MAX_VALUE;

    final StreamChangeCache rooms;
    final StreamChangeCache users;
    final StreamChangeCache devices;
    private boolean started; // guarded by this
    private volatile Set<StreamChangeCache> blind = Set.of();

    EntityChanges(int capacity) {
        rooms = new StreamChangeCache("rooms", UNKNOWN, capacity);
        users = new StreamChangeCache("users", UNKNOWN, capacity);
        devices = new StreamChangeCache("devices", UNKNOWN, capacity);
    }

    /** The devices cache's entity for one device of one user (device ids are only unique per user). */
    static String deviceKey(String userId, String deviceId) {
        return userId + "|" + deviceId;
    }

    /**
     * Which caches the streams in {@code missing} (not served by the relay) would have fed: those answer every
     * question "yes" from now on, until a later call no longer names such a stream (the reader drops everything
     * first: a stream served again runs the resync hook, {@link #reset()}).
     */
    synchronized void blind(Set<String> missing) {
        Set<StreamChangeCache> out = new HashSet<>();
        for (String stream : missing) {
            switch (stream) {
                case "caches" -> { }
                case "public_rooms" -> out.add(rooms);
                case "events", "backfill", "receipts" -> {
                    out.add(rooms);
                    out.add(users);
                }
                case "device_lists" -> {
                    out.add(users);
                    out.add(devices);
                }
                default -> out.add(users);
            }
        }
        blind = Set.copyOf(out);
        out.forEach(c -> c.reset(UNKNOWN));
    }

    /** Marks what {@code row} changed; runs before the row's cache invalidations are published. */
    void onRow(Row row) {
        long p = row.position();
        startAt(p);
        switch (row.stream()) {
            case "events", "backfill" -> {
                mark(rooms, row.text("room_id"), p);
                if ("m.room.member".equals(row.text("type"))) {
                    mark(users, row.text("state_key"), p);
                }
            }
            case "receipts" -> {
                mark(rooms, row.text("room_id"), p);
                mark(users, row.text("user_id"), p);
            }
            case "public_rooms" -> mark(rooms, row.text("room_id"), p);
            case "pushers" -> {
                String seedUser = row.text("user_name");
                mark(users, seedUser != null ? seedUser : row.text("user_id"), p);
            }
            case "to_device" -> {
                String entity = row.text("entity");
                if (entity != null && entity.startsWith("@")) {
                    mark(users, entity, p);
                }
            }
            case "device_lists" -> {
                String user = row.text("user_id");
                mark(users, user, p);
                if (!flag(row.get("is_signature"))) {
                    String device = row.text("device_id");
                    mark(devices, user == null || device == null ? null : deviceKey(user, device), p);
                }
            }
            case "caches" -> { }
            default -> mark(users, row.text("user_id"), p);
        }
    }

    // synchronized with reset(), which may come from another thread: a start interleaved with a reset could leave
    // a cache "knowing nothing" for good
    private synchronized void startAt(long p) {
        if (!started) {
            Set<StreamChangeCache> b = blind;
            for (StreamChangeCache c : List.of(rooms, users, devices)) {
                if (!b.contains(c)) {
                    c.reset(p - 1);
                }
            }
            started = true;
        }
    }

    /** Forgets everything (resync): until the next row every question is answered "yes". */
    synchronized void reset() {
        started = false;
        rooms.reset(UNKNOWN);
        users.reset(UNKNOWN);
        devices.reset(UNKNOWN);
    }

    /** A boolean field that may also come as a number or text (as a JSON node's {@code asBoolean(false)} reads it). */
    private static boolean flag(Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Number n) {
            return n.longValue() != 0;
        }
        return v instanceof String s && s.trim().equals("true");
    }

    private void mark(StreamChangeCache cache, String entity, long position) {
        if (blind.contains(cache)) {
            return;
        }
        if (entity != null) {
            cache.entityChanged(entity, position);
        } else {
            // some entity changed at position, which one is unknown: forget what came before, so that every
            // question about an earlier position is answered "yes"
            cache.reset(position);
        }
    }
}
