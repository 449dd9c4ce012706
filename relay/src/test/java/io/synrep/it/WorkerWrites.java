package io.synrep.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A randomized Synapse-style writer over JDBC whose writes are <em>versioned</em>, so that whether a reader's answer
 * is stale can be decided exactly. Each committed transaction is one write, logged as a {@link Write}: the stream
 * its row appears on, the id that row carries in column 1 (stream id / stream ordering), and what it did (a
 * {@link Fact}). A test reader of the relay supplies each write's position (commit LSN) from that pair.
 *
 * <p>Tables and writer contract as Synapse (and {@code SynapseWorkload}): events with {@code event_json}, and in the
 * same transaction {@code state_events} for state (memberships) and {@code redactions} for redactions; receipts,
 * account data and room account data are upserts; tags bump {@code room_tags_revisions} in the same transaction;
 * a pusher's deletion inserts a {@code deleted_pushers} row; presence deletes the user's older rows (compaction).
 * Some transactions stay open a little after taking their stream ids, so commit order and stream-id order disagree.
 *
 * <p>Versions: account data, room account data and receipts hold {@code {"v": n}} incremented in SQL by the upsert
 * itself, so concurrent writers of one key serialize on its row lock and versions grow in commit order. Tags and
 * pushers, which are also deleted, are owned by one writer thread (by user), which numbers its writes of a key
 * 1, 2, 3... (a deletion takes a number too). Push rules are ADDed under fresh ids and may later be DELETEd by the
 * thread that added them. Presence is versioned by its stream id. Events are identified by their stream ordering.
 *
 * <p>On current Synapse's schema ({@link WorkerSchema#CURRENT}) every transaction is one of Synapse's own
 * ({@link SynapseStatements}): upserts that set the new content ({@code EXCLUDED.data}), so receipts, account data
 * and room account data are owned by one writer thread too (by user) and numbered like tags and pushers; receipts
 * are threaded ({@link WorkerSchema#receiptThreads}); members go to {@code room_memberships}, state events also to
 * {@code current_state_delta_stream} (a second {@code events} row, {@code kind = state}, at the same position);
 * tags, account data and room account data are rows of one {@code account_data} stream, a pusher's deletion a row of
 * {@code pushers}; caches are {@code cache_invalidation_stream_by_instance}; instead of the public room list (no
 * such stream), a pusher's bookkeeping update, which streams nothing.
 */
final class WorkerWrites {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int USERS = 24;
    static final int ROOMS = 6;
    static final List<String> AD_TYPES = List.of("m.direct", "m.ignored_user_list", "im.vector.setting.breadcrumbs");
    static final List<String> RAD_TYPES = List.of("m.fully_read", "m.marked_unread");
    static final List<String> RECEIPT_TYPES = List.of("m.read", "m.read.private");
    static final List<String> TAGS = List.of("m.favourite", "u.work");
    static final List<String> APPS = List.of("io.synrep.android", "io.synrep.ios");
    static final List<String> PUSHKEYS = List.of("pk0", "pk1");

    static String user(int i) {
        return "@u" + i + ":w.test";
    }

    static String room(int i) {
        return "!r" + i + ":w.test";
    }

    static String adKey(String user, String type) {
        return "ad|" + user + "|" + type;
    }

    static String radKey(String user, String room, String type) {
        return "rad|" + user + "|" + room + "|" + type;
    }

    static String receiptKey(String room, String type, String user) {
        return "rc|" + room + "|" + type + "|" + user;
    }

    /** A receipt's key; a threaded receipt's key ends with its thread. */
    static String receiptKey(String room, String type, String user, String thread) {
        return thread == null ? receiptKey(room, type, user) : receiptKey(room, type, user) + "|" + thread;
    }

    static String tagKey(String user, String room, String tag) {
        return "tag|" + user + "|" + room + "|" + tag;
    }

    static String pusherKey(String user, String app, String pushkey) {
        return "pusher|" + user + "|" + app + "|" + pushkey;
    }

    /** What one committed write did. */
    sealed interface Fact permits Versioned, EventFact, RuleFact, PresenceFact {}

    /** Key {@code key} now has version {@code version} (or was deleted, as its {@code version}-th write). */
    record Versioned(String key, long version, boolean deleted) implements Fact {}

    /**
     * An event: live ({@code so > 0}, stream {@code events}) or backfilled ({@code so < 0}, stream {@code backfill});
     * a membership of {@code member} when that is set, a redaction of {@code redacts} when that is set.
     */
    record EventFact(String room, long so, String eventId, String member, String membership, String redacts)
            implements Fact {}

    /** Push rule {@code ruleId} of {@code user} ADDed, or DELETEd. */
    record RuleFact(String user, String ruleId, boolean delete) implements Fact {}

    /** A presence row of {@code user} with stream id {@code streamId}. */
    record PresenceFact(String user, long streamId) implements Fact {}

    /** One committed transaction: its row's stream and column-1 id, and its fact. */
    record Write(String stream, long id, Fact fact) {}

    private enum Kind {
        MESSAGE(20), STATE(3), MEMBER(10), REDACTION(4), BACKFILL(3), RECEIPT(12), ACCOUNT_DATA(10),
        ROOM_ACCOUNT_DATA(6), TAG(6), PUSHER(4), PUSH_RULE(4), PRESENCE(8), TO_DEVICE(4), DEVICE_LIST(3), CACHE(2),
        PUBLIC_ROOM(1);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    private static final int TOTAL_WEIGHT;

    static {
        int w = 0;
        for (Kind k : Kind.values()) {
            w += k.weight;
        }
        TOTAL_WEIGHT = w;
    }

    private final String url;
    private final int threads;
    final WorkerSchema schema;

    final ConcurrentLinkedQueue<Write> log = new ConcurrentLinkedQueue<>();
    /** Committed transactions, logged or not. */
    final AtomicLong ops = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong maxStreamOrdering = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    // committed event ids per room, and events that have been redacted: for redaction targets and for readers
    private final List<List<String>> roomEvents = new ArrayList<>();
    private final List<String> redacted = new ArrayList<>();
    private final List<Thread> running = new ArrayList<>();

    WorkerWrites(String url, int threads) {
        this(url, threads, WorkerSchema.SEED);
    }

    WorkerWrites(String url, int threads, WorkerSchema schema) {
        this.url = url;
        this.threads = threads;
        this.schema = schema;
        for (int r = 0; r < ROOMS; r++) {
            roomEvents.add(new ArrayList<>());
        }
    }

    /**
     * Starts the writer threads; each writes until {@code stop} holds or {@code total} transactions have been
     * committed by all of them together. Per-thread state (tags, pushers, rules of the users a thread owns) lives
     * in the threads, so calling start again after {@link #await} continues with fresh threads that read their
     * users' current state back from the database.
     */
    void start(long total, BooleanSupplier stop, long seed) {
        start(total, 0, stop, seed);
    }

    /** As {@link #start(long, BooleanSupplier, long)}, all threads together at most {@code perSecond} (if > 0). */
    void start(long total, double perSecond, BooleanSupplier stop, long seed) {
        running.clear();
        long startOps = ops.get();
        long startNanos = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Random random = new Random(seed * 31 + t);
            Thread th = new Thread(() -> {
                try (Connection c = TestPostgres.connect(url)) {
                    c.setAutoCommit(false);
                    Writer w = new Writer(c, id, random);
                    w.loadOwnedState();
                    while (!stop.getAsBoolean() && ops.get() < total && failure.get() == null) {
                        if (perSecond > 0
                                && ops.get() - startOps > (System.nanoTime() - startNanos) / 1e9 * perSecond) {
                            Thread.sleep(2);
                            continue;
                        }
                        w.writeOne();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "worker-it-writer-" + t);
            th.setDaemon(true);
            running.add(th);
            th.start();
        }
    }

    /** Waits for the writer threads to finish; rethrows the first failure. */
    void await() throws InterruptedException {
        for (Thread t : running) {
            t.join();
        }
        Throwable f = failure.get();
        if (f != null) {
            throw new AssertionError("writer failed", f);
        }
    }

    void assertHealthy() {
        Throwable f = failure.get();
        if (f != null) {
            throw new AssertionError("writer failed", f);
        }
    }

    /** A committed event id of a room (random), or null when the room has none yet. */
    String someEvent(Random random) {
        List<String> events = roomEvents.get(random.nextInt(ROOMS));
        synchronized (events) {
            return events.isEmpty() ? null
                    : events.get(events.size() - 1 - random.nextInt(Math.min(events.size(), 40)));
        }
    }

    /** An event that has been redacted, or null. */
    String someRedacted(Random random) {
        synchronized (redacted) {
            return redacted.isEmpty() ? null : redacted.get(random.nextInt(redacted.size()));
        }
    }

    List<String> redactedEvents() {
        synchronized (redacted) {
            return List.copyOf(redacted);
        }
    }

    List<Write> writes() {
        return List.copyOf(log);
    }

    /** One writer thread: its connection, its random source and the state of the keys it owns. */
    private final class Writer {
        private final Connection c;
        private final int id;
        private final Random random;
        /** Synapse's statements, on the current schema; the writer commits. */
        private final SynapseStatements sql;
        /** Versions (and presence) of owned keys (tags, pushers; current schema: all versioned keys): key → {version, present ? 1 : 0}. */
        private final Map<String, long[]> owned = new HashMap<>();
        /** Added, not yet deleted push rules of owned users. */
        private final Map<String, List<String>> rules = new HashMap<>();
        private int ruleCounter;

        Writer(Connection c, int id, Random random) throws SQLException {
            this.c = c;
            this.id = id;
            this.random = random;
            this.sql = schema == WorkerSchema.CURRENT ? new SynapseStatements(c, false) : null;
        }

        /** The owned keys' state from the log of earlier writes (for writers started again after a pause). */
        void loadOwnedState() throws SQLException {
            for (Write w : log) {
                if (w.fact() instanceof Versioned v && isOwned(v.key())) {
                    long[] s = owned.computeIfAbsent(v.key(), k -> new long[2]);
                    if (v.version() > s[0]) {
                        s[0] = v.version();
                        s[1] = v.deleted() ? 0 : 1;
                    }
                } else if (w.fact() instanceof RuleFact r && owns(r.user())) {
                    List<String> l = rules.computeIfAbsent(r.user(), u -> new ArrayList<>());
                    if (r.delete()) {
                        l.remove(r.ruleId());
                    } else {
                        l.add(r.ruleId());
                    }
                    ruleCounter = Math.max(ruleCounter, Integer.parseInt(r.ruleId().substring(
                            r.ruleId().lastIndexOf('_') + 1)) + 1);
                }
            }
        }

        /** Owned keys: tags and pushers; on the current schema every versioned key (the user owns it). */
        private boolean isOwned(String key) {
            String[] parts = key.split("\\|");
            if (key.startsWith("tag|") || key.startsWith("pusher|")) {
                return owns(parts[1]);
            }
            return sql != null && owns(key.startsWith("rc|") ? parts[3] : parts[1]);
        }

        private boolean owns(String user) {
            int i = Integer.parseInt(user.substring(2, user.indexOf(':')));
            return i % threads == id;
        }

        private String ownedUser() {
            int i;
            do {
                i = random.nextInt(USERS);
            } while (i % threads != id);
            return user(i);
        }

        void writeOne() throws SQLException {
            Kind kind = pick();
            for (int attempt = 0; ; attempt++) {
                try {
                    Runnable afterCommit = write(kind);
                    if (random.nextInt(4) == 0) {
                        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500 + random.nextInt(4500)));
                    }
                    c.commit();
                    ops.incrementAndGet();
                    afterCommit.run();
                    return;
                } catch (SQLException e) {
                    c.rollback();
                    // deadlock or serialization failure: another writer won; try again (nothing was logged)
                    if (attempt < 5 && ("40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState()))) {
                        retries.incrementAndGet();
                        continue;
                    }
                    throw e;
                }
            }
        }

        private Kind pick() {
            int n = random.nextInt(TOTAL_WEIGHT);
            for (Kind k : Kind.values()) {
                n -= k.weight;
                if (n < 0) {
                    return k;
                }
            }
            throw new AssertionError();
        }

        /** Performs the write in the open transaction; returns what to record once it has committed. */
        private Runnable write(Kind kind) throws SQLException {
            if (sql != null) {
                return writeCurrent(kind);
            }
            return switch (kind) {
                case MESSAGE -> event(false, "m.room.message", null, null);
                case STATE -> event(false, "m.room.name", null, null);
                case MEMBER -> {
                    String[] memberships = {"join", "join", "leave", "invite"};
                    yield event(false, "m.room.member", user(random.nextInt(USERS)),
                            memberships[random.nextInt(memberships.length)]);
                }
                case REDACTION -> event(false, "m.room.redaction", null, null);
                case BACKFILL -> event(true, "m.room.message", null, null);
                case RECEIPT -> receipt();
                case ACCOUNT_DATA -> accountData();
                case ROOM_ACCOUNT_DATA -> roomAccountData();
                case TAG -> tag();
                case PUSHER -> pusher();
                case PUSH_RULE -> pushRule();
                case PRESENCE -> presence();
                case TO_DEVICE -> {
                    long sid = nextval("device_inbox_sequence");
                    update("INSERT INTO device_inbox (user_id, device_id, stream_id, message_json, instance_name)"
                            + " VALUES (?, 'DEV1', ?, '{}', 'master')", user(random.nextInt(USERS)), sid);
                    yield () -> { };
                }
                case DEVICE_LIST -> {
                    long sid = nextval("device_lists_sequence");
                    update("INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (?, ?, ?)", sid,
                            user(random.nextInt(USERS)), "DEV" + random.nextInt(3));
                    yield () -> { };
                }
                case CACHE -> {
                    long sid = nextval("cache_invalidation_stream_seq");
                    update("INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts)"
                                    + " VALUES (?, 'get_user_by_id', ARRAY[?], 0)", sid,
                            user(random.nextInt(USERS)));
                    yield () -> { };
                }
                case PUBLIC_ROOM -> {
                    long sid = nextval("public_room_list_stream_sequence");
                    update("INSERT INTO public_room_list_stream (stream_id, room_id, visibility) VALUES (?, ?, ?)",
                            sid, room(random.nextInt(ROOMS)), random.nextBoolean());
                    yield () -> { };
                }
            };
        }

        /** {@link #write} on current Synapse's schema: Synapse's own statements ({@link SynapseStatements}). */
        private Runnable writeCurrent(Kind kind) throws SQLException {
            return switch (kind) {
                case MESSAGE -> event(false, "m.room.message", null, null);
                case STATE -> event(false, "m.room.name", null, null);
                case MEMBER -> {
                    String[] memberships = {"join", "join", "leave", "invite"};
                    yield event(false, "m.room.member", user(random.nextInt(USERS)),
                            memberships[random.nextInt(memberships.length)]);
                }
                case REDACTION -> event(false, "m.room.redaction", null, null);
                case BACKFILL -> event(true, "m.room.message", null, null);
                case RECEIPT -> {
                    String user = ownedUser();
                    String roomId = room(random.nextInt(ROOMS));
                    String type = RECEIPT_TYPES.get(random.nextInt(RECEIPT_TYPES.size()));
                    String thread = schema.receiptThreads.get(random.nextInt(schema.receiptThreads.size()));
                    yield nextVersion(receiptKey(roomId, type, user, thread), "receipts", v -> sql.receipt(roomId,
                            type, user, "$read" + v + ".w", thread, "{\"v\":" + v + ",\"ts\":1}"));
                }
                case ACCOUNT_DATA -> {
                    String user = ownedUser();
                    String type = AD_TYPES.get(random.nextInt(AD_TYPES.size()));
                    yield nextVersion(adKey(user, type), "account_data",
                            v -> sql.globalAccountData(user, type, "{\"v\":" + v + "}"));
                }
                case ROOM_ACCOUNT_DATA -> {
                    String user = ownedUser();
                    String roomId = room(random.nextInt(ROOMS));
                    String type = RAD_TYPES.get(random.nextInt(RAD_TYPES.size()));
                    yield nextVersion(radKey(user, roomId, type), "account_data",
                            v -> sql.roomAccountData(user, roomId, type, "{\"v\":" + v + "}"));
                }
                case TAG -> tag();
                case PUSHER -> pusher();
                case PUSH_RULE -> pushRule();
                case PRESENCE -> presence();
                case TO_DEVICE -> {
                    sql.toDevice(user(random.nextInt(USERS)), "DEV1", "remote.w.test");
                    yield () -> { };
                }
                case DEVICE_LIST -> {
                    sql.deviceChange(user(random.nextInt(USERS)), "DEV" + random.nextInt(3), "remote.w.test");
                    yield () -> { };
                }
                case CACHE -> {
                    sql.invalidate("get_user_by_id", user(random.nextInt(USERS)));
                    yield () -> { };
                }
                case PUBLIC_ROOM -> {
                    // no public room list stream in current Synapse: a pusher's bookkeeping, which streams nothing
                    sql.pusherProgress(ownedUser(), APPS.get(random.nextInt(APPS.size())),
                            PUSHKEYS.get(random.nextInt(PUSHKEYS.size())));
                    yield () -> { };
                }
            };
        }

        /** The statement of one version of an owned key: returns the stream id it wrote. */
        private interface VersionWrite {
            long write(long version) throws SQLException;
        }

        /** Writes the next version of the owned key {@code key}; returns what to log once it has committed. */
        private Runnable nextVersion(String key, String stream, VersionWrite statement) throws SQLException {
            long[] state = owned.computeIfAbsent(key, k -> new long[2]);
            long version = state[0] + 1;
            Write w = new Write(stream, statement.write(version), new Versioned(key, version, false));
            return () -> {
                state[0] = version;
                state[1] = 1;
                log.add(w);
            };
        }

        private Runnable event(boolean backfill, String type, String member, String membership) throws SQLException {
            int r = random.nextInt(ROOMS);
            String roomId = room(r);
            String redacts = null;
            if (type.equals("m.room.redaction")) {
                List<String> events = roomEvents.get(r);
                synchronized (events) {
                    if (!events.isEmpty()) {
                        redacts = events.get(events.size() - 1 - random.nextInt(Math.min(events.size(), 20)));
                    }
                }
                if (redacts == null) {
                    type = "m.room.message";
                }
            }
            long so = backfill ? -nextval("events_backfill_stream_seq") : nextval("events_stream_seq");
            String eventId = (backfill ? "$b" + -so : "$e" + so) + ".w";
            String stateKey = member != null ? member : type.equals("m.room.name") ? "" : null;
            String content = switch (type) {
                case "m.room.member" -> "{\"membership\":\"" + membership + "\"}";
                case "m.room.name" -> "{\"name\":\"name " + random.nextInt(1000) + "\"}";
                case "m.room.redaction" -> "{\"reason\":\"spam\"}";
                default -> "{\"msgtype\":\"m.text\",\"body\":\"message " + so + "\"}";
            };
            String sender = member != null && !"invite".equals(membership) ? member : user(random.nextInt(USERS));
            String json = "{\"type\":\"" + type + "\",\"content\":" + content
                    + (redacts == null ? "" : ",\"redacts\":\"" + redacts + "\"") + "}";
            if (sql != null) {
                sql.event(so, eventId, roomId, type, stateKey, membership, sender, json, null, redacts, backfill);
            } else {
                seedEvent(so, eventId, roomId, type, content, sender, stateKey, json, redacts);
            }
            String target = redacts;
            String stream = backfill ? "backfill" : "events";
            Fact fact = new EventFact(roomId, so, eventId, member, membership, redacts);
            return () -> {
                log.add(new Write(stream, so, fact));
                List<String> events = roomEvents.get(r);
                synchronized (events) {
                    events.add(eventId);
                }
                if (target != null) {
                    synchronized (redacted) {
                        redacted.add(target);
                    }
                }
                maxStreamOrdering.accumulateAndGet(so, Math::max);
            };
        }

        /** An event's rows on the seed schema, in the writer's open transaction. */
        private void seedEvent(long so, String eventId, String roomId, String type, String content, String sender,
                               String stateKey, String json, String redacts) throws SQLException {
            update("INSERT INTO events (topological_ordering, event_id, type, room_id, content, processed, outlier,"
                            + " depth, origin_server_ts, received_ts, sender, contains_url, instance_name,"
                            + " stream_ordering, state_key) VALUES (?, ?, ?, ?, ?, true, false, ?, ?, ?, ?, false,"
                            + " 'master', ?, ?)", so, eventId, type, roomId, content, so, System.currentTimeMillis(),
                    System.currentTimeMillis(), sender, so, stateKey);
            update("INSERT INTO event_json (event_id, room_id, internal_metadata, json, format_version)"
                    + " VALUES (?, ?, '{}', ?, 3)", eventId, roomId, json);
            if (stateKey != null) {
                update("INSERT INTO state_events (event_id, room_id, type, state_key) VALUES (?, ?, ?, ?)", eventId,
                        roomId, type, stateKey);
            }
            if (redacts != null) {
                update("INSERT INTO redactions (event_id, redacts, have_censored, received_ts)"
                        + " VALUES (?, ?, false, 0)", eventId, redacts);
            }
        }

        private Runnable receipt() throws SQLException {
            long sid = nextval("receipts_sequence");
            String roomId = room(random.nextInt(ROOMS));
            String type = RECEIPT_TYPES.get(random.nextInt(RECEIPT_TYPES.size()));
            String user = user(random.nextInt(USERS));
            String data = returning("INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id,"
                            + " event_id, data, instance_name) VALUES (?, ?, ?, ?, ?, '{\"v\":1}', 'master')"
                            + " ON CONFLICT (room_id, receipt_type, user_id) DO UPDATE SET stream_id = EXCLUDED.stream_id,"
                            + " event_id = EXCLUDED.event_id, data = json_build_object('v',"
                            + " (receipts_linearized.data::json->>'v')::bigint + 1)::text RETURNING data",
                    sid, roomId, type, user, "$read" + sid);
            Write w = new Write("receipts", sid, new Versioned(receiptKey(roomId, type, user), version(data), false));
            return () -> log.add(w);
        }

        private Runnable accountData() throws SQLException {
            long sid = nextval("account_data_sequence");
            String user = user(random.nextInt(USERS));
            String type = AD_TYPES.get(random.nextInt(AD_TYPES.size()));
            String content = returning("INSERT INTO account_data (user_id, account_data_type, stream_id, content,"
                    + " instance_name) VALUES (?, ?, ?, '{\"v\":1}', 'master') ON CONFLICT (user_id, account_data_type)"
                    + " DO UPDATE SET stream_id = EXCLUDED.stream_id, content = json_build_object('v',"
                    + " (account_data.content::json->>'v')::bigint + 1)::text RETURNING content", user, type, sid);
            Write w = new Write("user_account_data", sid, new Versioned(adKey(user, type), version(content), false));
            return () -> log.add(w);
        }

        private Runnable roomAccountData() throws SQLException {
            long sid = nextval("account_data_sequence");
            String user = user(random.nextInt(USERS));
            String roomId = room(random.nextInt(ROOMS));
            String type = RAD_TYPES.get(random.nextInt(RAD_TYPES.size()));
            String content = returning("INSERT INTO room_account_data (user_id, room_id, account_data_type,"
                    + " stream_id, content, instance_name) VALUES (?, ?, ?, ?, '{\"v\":1}', 'master')"
                    + " ON CONFLICT (user_id, room_id, account_data_type) DO UPDATE SET stream_id = EXCLUDED.stream_id,"
                    + " content = json_build_object('v', (room_account_data.content::json->>'v')::bigint + 1)::text"
                    + " RETURNING content", user, roomId, type, sid);
            Write w = new Write("room_account_data", sid, new Versioned(radKey(user, roomId, type), version(content),
                    false));
            return () -> log.add(w);
        }

        private Runnable tag() throws SQLException {
            long sid = sql != null ? 0 : nextval("account_data_sequence");
            String user = ownedUser();
            String roomId = room(random.nextInt(ROOMS));
            String tag = TAGS.get(random.nextInt(TAGS.size()));
            String key = tagKey(user, roomId, tag);
            long[] state = owned.computeIfAbsent(key, k -> new long[2]);
            long version = state[0] + 1;
            boolean delete = state[1] == 1 && random.nextInt(4) == 0;
            if (sql != null) {
                sid = sql.tag(user, roomId, tag, delete, "{\"v\":" + version + "}");
            } else if (delete) {
                update("DELETE FROM room_tags WHERE user_id = ? AND room_id = ? AND tag = ?", user, roomId, tag);
            } else {
                update("INSERT INTO room_tags (user_id, room_id, tag, content) VALUES (?, ?, ?, ?)"
                                + " ON CONFLICT (user_id, room_id, tag) DO UPDATE SET content = EXCLUDED.content", user,
                        roomId, tag, "{\"v\":" + version + "}");
            }
            if (sql == null) {
                update("INSERT INTO room_tags_revisions (user_id, room_id, stream_id, instance_name) VALUES (?, ?, ?,"
                        + " 'master') ON CONFLICT (user_id, room_id) DO UPDATE SET stream_id = EXCLUDED.stream_id",
                        user, roomId, sid);
            }
            Write w = new Write(sql != null ? "account_data" : "tag_account_data", sid,
                    new Versioned(key, version, delete));
            return () -> {
                state[0] = version;
                state[1] = delete ? 0 : 1;
                log.add(w);
            };
        }

        private Runnable pusher() throws SQLException {
            long sid = sql != null ? 0 : nextval("pushers_sequence");
            String user = ownedUser();
            String app = APPS.get(random.nextInt(APPS.size()));
            String pushkey = PUSHKEYS.get(random.nextInt(PUSHKEYS.size()));
            String key = pusherKey(user, app, pushkey);
            long[] state = owned.computeIfAbsent(key, k -> new long[2]);
            long version = state[0] + 1;
            boolean delete = state[1] == 1 && random.nextInt(4) == 0;
            Write w;
            String data = "{\"v\":" + version + ",\"url\":\"https://push.w.test\"}";
            if (sql != null) {
                // current Synapse streams a deletion on the pushers stream itself (deleted = true)
                sid = delete ? sql.deletePusher(user, app, pushkey) : sql.pusher(user, app, pushkey, data);
                w = new Write("pushers", sid, new Versioned(key, version, delete));
            } else if (delete) {
                update("DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_name = ?", app, pushkey, user);
                update("INSERT INTO deleted_pushers (stream_id, app_id, pushkey, user_id) VALUES (?, ?, ?, ?)", sid,
                        app, pushkey, user);
                w = new Write("deleted_pushers", sid, new Versioned(key, version, true));
            } else {
                update("INSERT INTO pushers (id, user_name, profile_tag, kind, app_id, app_display_name,"
                                + " device_display_name, pushkey, ts, lang, data) VALUES (?, ?, '', 'http', ?, 'Synrep',"
                                + " 'Phone', ?, ?, 'en', ?) ON CONFLICT (app_id, pushkey, user_name) DO UPDATE SET"
                                + " id = EXCLUDED.id, ts = EXCLUDED.ts, data = EXCLUDED.data", sid, user, app, pushkey,
                        System.currentTimeMillis(), data);
                w = new Write("pushers", sid, new Versioned(key, version, false));
            }
            return () -> {
                state[0] = version;
                state[1] = delete ? 0 : 1;
                log.add(w);
            };
        }

        private Runnable pushRule() throws SQLException {
            long sid = sql != null ? 0 : nextval("push_rules_stream_sequence");
            String user = ownedUser();
            List<String> live = rules.computeIfAbsent(user, u -> new ArrayList<>());
            boolean delete = !live.isEmpty() && random.nextInt(3) == 0;
            String ruleId = delete ? live.get(random.nextInt(live.size()))
                    : "global/content/w" + id + "_" + ruleCounter++;
            if (sql != null) {
                sid = delete ? sql.deletePushRule(user, ruleId) : sql.pushRule(user, ruleId);
            } else if (delete) {
                update("INSERT INTO push_rules_stream (stream_id, event_stream_ordering, user_id, rule_id, op)"
                        + " VALUES (?, 0, ?, ?, 'DELETE')", sid, user, ruleId);
            } else {
                update("INSERT INTO push_rules_stream (stream_id, event_stream_ordering, user_id, rule_id, op,"
                        + " priority_class, priority, conditions, actions) VALUES (?, 0, ?, ?, 'ADD', 4, ?, '[]',"
                        + " '[\"notify\"]')", sid, user, ruleId, random.nextInt(10));
            }
            Write w = new Write("push_rules", sid, new RuleFact(user, ruleId, delete));
            return () -> {
                if (delete) {
                    live.remove(ruleId);
                } else {
                    live.add(ruleId);
                }
                log.add(w);
            };
        }

        private Runnable presence() throws SQLException {
            String[] states = {"online", "unavailable", "offline"};
            if (sql != null) {
                String user = user(random.nextInt(USERS));
                long sid = sql.presence(user, states[random.nextInt(states.length)]);
                Write w = new Write("presence", sid, new PresenceFact(user, sid));
                return () -> log.add(w);
            }
            long sid = nextval("presence_stream_sequence");
            String user = user(random.nextInt(USERS));
            update("INSERT INTO presence_stream (stream_id, user_id, state, last_active_ts, currently_active,"
                    + " instance_name) VALUES (?, ?, ?, ?, true, 'master')", sid, user,
                    states[random.nextInt(states.length)], System.currentTimeMillis());
            update("DELETE FROM presence_stream WHERE user_id = ? AND stream_id < ?", user, sid);
            Write w = new Write("presence", sid, new PresenceFact(user, sid));
            return () -> log.add(w);
        }

        private long nextval(String sequence) throws SQLException {
            try (PreparedStatement s = c.prepareStatement("SELECT nextval(?::regclass)")) {
                s.setString(1, sequence);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return r.getLong(1);
                }
            }
        }

        private int update(String sql, Object... args) throws SQLException {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    s.setObject(i + 1, args[i]);
                }
                return s.executeUpdate();
            }
        }

        private String returning(String sql, Object... args) throws SQLException {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    s.setObject(i + 1, args[i]);
                }
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return r.getString(1);
                }
            }
        }
    }

    /** The {@code v} of a {@code {"v": n, ...}} JSON text. */
    static long version(String json) {
        try {
            return JSON.readTree(json).path("v").asLong(-1);
        } catch (Exception e) {
            throw new IllegalStateException("not JSON: " + json, e);
        }
    }
}
