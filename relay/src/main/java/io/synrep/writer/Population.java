package io.synrep.writer;

import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The fixed set of users, rooms and devices all writer threads share, plus what they have
 * committed recently (for redactions, reactions, receipts). Thread-safe.
 */
final class Population {
    static final int USERS = 50;
    static final int ROOMS = 20;
    static final int DEVICES_PER_USER = 3;
    static final int DESTINATIONS = 6;
    static final String SERVER = "synrep.test";
    private static final int RECENT_PER_ROOM = 16;
    private static final int RECENT_REDACTED = 64;

    private final AtomicLongArray depth = new AtomicLongArray(ROOMS);
    private final AtomicReferenceArray<String> recent = new AtomicReferenceArray<>(ROOMS * RECENT_PER_ROOM);
    private final AtomicLongArray recentCount = new AtomicLongArray(ROOMS);
    private final AtomicReferenceArray<String> redacted = new AtomicReferenceArray<>(RECENT_REDACTED);
    private final AtomicLong redactedCount = new AtomicLong();

    static String roomId(int room) {
        return String.format(Locale.ROOT, "!room%02d:%s", room, SERVER);
    }

    static String deviceId(int device) {
        return "DEVICE" + device;
    }

    String user(Random random) {
        return String.format(Locale.ROOT, "@user%02d:%s", random.nextInt(USERS), SERVER);
    }

    /** Live events get the next depth; backfilled ones land somewhere in the room's past. */
    long depth(int room, boolean backfill, Random random) {
        if (backfill) {
            return 1 + random.nextInt(1000);
        }
        return 1000 + depth.incrementAndGet(room);
    }

    void rememberEvent(int room, String eventId) {
        long n = recentCount.getAndIncrement(room);
        recent.set(room * RECENT_PER_ROOM + (int) (n % RECENT_PER_ROOM), eventId);
    }

    /** A recently committed event of the room, or null if there is none yet. */
    String recentEvent(int room, Random random) {
        long n = Math.min(recentCount.get(room), RECENT_PER_ROOM);
        return n == 0 ? null : recent.get(room * RECENT_PER_ROOM + random.nextInt((int) n));
    }

    void rememberRedacted(String eventId) {
        long n = redactedCount.getAndIncrement();
        redacted.set((int) (n % RECENT_REDACTED), eventId);
    }

    String redactedEvent(Random random) {
        long n = Math.min(redactedCount.get(), RECENT_REDACTED);
        return n == 0 ? null : redacted.get(random.nextInt((int) n));
    }
}
