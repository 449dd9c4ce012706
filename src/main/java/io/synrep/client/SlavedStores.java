package io.synrep.client;

import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * A reader's slaved stores over the shared Synapse database — events, receipts, account data, push rules and
 * pushers, presence — with the cache registry the {@code caches} stream drives and the stream change caches for
 * rooms, users and devices; plus the small JDBC pool they read through.
 *
 * <p>Use: {@code SlavedStores stores = SlavedStores.open(url, props, 8, 100_000);
 * ReplicationClient client = stores.attach(ReplicationClient.builder(relay)).build().start();}
 * {@link #attach} follows every built-in stream and drops all caches on resync.
 *
 * <p>Guarantee: once the client's {@link ReplicationClient#position() position} is P, every store answer reflects
 * every write the writer committed at or before P (each invalidation goes through a {@link ReaderCache}, which never
 * caches a load that raced it). A caller wanting that bound for a response reads the position <em>before</em> the
 * store. Thread-safe; {@link #close()} closes the pool.
 */
public final class SlavedStores implements AutoCloseable {
    /** The streams {@link #attach} follows: all of the built-in catalog's. */
    public static final List<String> STREAMS = List.of("events", "backfill", "receipts", "presence",
            "user_account_data", "room_account_data", "tag_account_data", "push_rules", "pushers", "deleted_pushers",
            "caches", "to_device", "public_rooms", "device_lists");

    private static final List<String> TABLES = List.of("events", "event_json", "state_events", "redactions",
            "receipts_linearized", "presence_stream", "account_data", "room_account_data", "room_tags",
            "push_rules_stream", "pushers");

    private final ConnectionPool pool;
    private final CacheRegistry registry = new CacheRegistry();
    private final EventsStore events;
    private final ReceiptsStore receipts;
    private final AccountDataStore accountData;
    private final PushStore push;
    private final PresenceStore presence;
    private final EntityChanges changes;

    private SlavedStores(ConnectionPool pool, long cacheSize) {
        this.pool = pool;
        this.events = new EventsStore(pool, registry, cacheSize);
        this.receipts = new ReceiptsStore(pool, registry, cacheSize);
        this.accountData = new AccountDataStore(pool, registry, cacheSize);
        this.push = new PushStore(pool, registry, cacheSize);
        this.presence = new PresenceStore(pool, registry, cacheSize);
        this.changes = new EntityChanges((int) Math.min(Integer.MAX_VALUE, Math.max(1000, cacheSize)));
    }

    /**
     * Opens the stores and checks that the database has the Synapse tables they read.
     *
     * @param jdbcUrl    {@code jdbc:postgresql://HOST:PORT/DB}, credentials in it or in {@code properties}
     * @param poolSize   most connections open at once
     * @param cacheSize  most entries per cache (and entities remembered per change cache, at least 1000)
     * @throws StoreException when the database cannot be reached or lacks the schema
     */
    public static SlavedStores open(String jdbcUrl, Properties properties, int poolSize, long cacheSize) {
        if (cacheSize < 1) {
            throw new IllegalArgumentException("cacheSize must be >= 1");
        }
        ConnectionPool pool = new ConnectionPool(jdbcUrl, properties, poolSize);
        try {
            checkSchema(pool);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return new SlavedStores(pool, cacheSize);
    }

    /** Registers a handler for every stream in {@link #STREAMS} and the resync hook; returns {@code builder}. */
    public ReplicationClient.Builder attach(ReplicationClient.Builder builder) {
        follow(builder, "events", events::onEvent);
        follow(builder, "backfill", events::onEvent);
        follow(builder, "receipts", receipts::onReceipt);
        follow(builder, "presence", presence::onPresence);
        follow(builder, "user_account_data", accountData::onGlobal);
        follow(builder, "room_account_data", accountData::onRoom);
        follow(builder, "tag_account_data", accountData::onTags);
        follow(builder, "push_rules", push::onPushRule);
        follow(builder, "pushers", push::onPusher);
        follow(builder, "deleted_pushers", push::onDeletedPusher);
        follow(builder, "caches", registry::onCacheRow);
        // no cached reads of these yet: they only feed the change caches
        follow(builder, "to_device", row -> { });
        follow(builder, "public_rooms", row -> { });
        follow(builder, "device_lists", row -> { });
        return builder.onResync(this::invalidateAll);
    }

    private void follow(ReplicationClient.Builder builder, String stream, Consumer<Row> handler) {
        builder.on(stream, row -> {
            handler.accept(row);
            changes.onRow(row);
        });
    }

    /** Drops every cache and forgets every change (the reader lost track: 410 or a new WAL history). */
    public void invalidateAll() {
        registry.invalidateAll();
        changes.reset();
    }

    public EventsStore events() {
        return events;
    }

    public ReceiptsStore receipts() {
        return receipts;
    }

    public AccountDataStore accountData() {
        return accountData;
    }

    public PushStore push() {
        return push;
    }

    public PresenceStore presence() {
        return presence;
    }

    /** Every cache by name; the {@code caches} stream invalidates through it. */
    public CacheRegistry caches() {
        return registry;
    }

    /** Rooms changed by events, backfill, receipts or the public room list. */
    public StreamChangeCache roomChanges() {
        return changes.rooms;
    }

    /** Users changed by membership, receipts, presence, account data, push rules, pushers, to-device, devices. */
    public StreamChangeCache userChanges() {
        return changes.users;
    }

    /** Devices changed by the device lists stream, keyed by {@link #deviceKey}. */
    public StreamChangeCache deviceChanges() {
        return changes.devices;
    }

    /** The {@link #deviceChanges()} entity of one user's device. */
    public static String deviceKey(String userId, String deviceId) {
        return EntityChanges.deviceKey(userId, deviceId);
    }

    private static void checkSchema(ConnectionPool pool) {
        pool.read(c -> {
            for (String table : TABLES) {
                try (Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw new StoreException("the database has no table " + table
                                + " (apply sql/schema.sql, or point --pg-url at the writer's database)", null);
                    }
                }
            }
            return null;
        });
    }

    @Override
    public void close() {
        pool.close();
    }
}
