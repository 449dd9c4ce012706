package io.synrep.client.synapse;

import io.synrep.client.ReaderCache;
import io.synrep.client.ReplicationClient;
import io.synrep.client.Row;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A reader's slaved stores over the shared Synapse database — events, receipts, account data, push rules and
 * pushers, presence — with the cache registry the {@code caches} stream drives and the stream change caches for
 * rooms, users and devices; plus the small JDBC pool they read through.
 *
 * <p>Use: {@code SlavedStores stores = SlavedStores.open(url, props, 8, 100_000);
 * ReplicationClient client = stores.attach(ReplicationClient.builder(relay)).build().start();}
 *
 * <p>Two schemas: {@link #open} detects whether the database holds the seed-era Synapse schema
 * ({@code sql/schema.sql}; relay catalog {@code synapse-seed}) or current Synapse's (it has {@code push_rules} and
 * {@code cache_invalidation_stream_by_instance}, or {@code schema_version} 72 or later; catalog
 * {@code synapse-current}), reads the tables of that schema, and {@link #attach} follows that catalog's stream names
 * ({@link #streams()}).
 *
 * <p>Guarantee: once the client's {@link ReplicationClient#position() position} is P, every store answer reflects
 * every write the writer committed at or before P (each invalidation goes through a {@link ReaderCache}, which never
 * caches a load that raced it). A caller wanting that bound for a response reads the position <em>before</em> the
 * store. A read whose caches are invalidated by a stream the relay does not serve (the client's
 * {@link ReplicationClient#missingStreams()}) fails with a {@link StoreException} naming the stream instead of
 * answering from a cache nothing invalidates; the change caches fed by such a stream answer "changed" to every
 * question. Thread-safe; {@link #close()} closes the pool.
 */
public final class SlavedStores implements AutoCloseable {
    private final ConnectionPool pool;
    private final SynapseSchema schema;
    private final MissingStreams missing = new MissingStreams();
    private final CacheRegistry registry = new CacheRegistry();
    private final EventsStore events;
    private final ReceiptsStore receipts;
    private final AccountDataStore accountData;
    private final PushStore push;
    private final PresenceStore presence;
    private final EntityChanges changes;

    private SlavedStores(ConnectionPool pool, SynapseSchema schema, long cacheSize) {
        this.pool = pool;
        this.schema = schema;
        this.events = new EventsStore(pool, registry, cacheSize, schema, missing);
        this.receipts = new ReceiptsStore(pool, registry, cacheSize, schema, missing);
        this.accountData = new AccountDataStore(pool, registry, cacheSize, schema, missing);
        this.push = new PushStore(pool, registry, cacheSize, schema, missing);
        this.presence = new PresenceStore(pool, registry, cacheSize, missing);
        this.changes = new EntityChanges((int) Math.min(Integer.MAX_VALUE, Math.max(1000, cacheSize)));
    }

    /**
     * Opens the stores, detects the database's Synapse schema and checks that it has the tables they read.
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
        SynapseSchema schema;
        try {
            schema = pool.read(c -> {
                SynapseSchema detected = SynapseSchema.detect(c);
                detected.check(c);
                return detected;
            });
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return new SlavedStores(pool, schema, cacheSize);
    }

    /**
     * Registers a handler for every stream in {@link #streams()}, the resync hook (drop every cache) and what the
     * stores do when the relay does not serve some of them; returns {@code builder}. Attach to one client.
     */
    public ReplicationClient.Builder attach(ReplicationClient.Builder builder) {
        follow(builder, "events", events::onEvent);
        follow(builder, "backfill", events::onEvent);
        follow(builder, "receipts", receipts::onReceipt);
        follow(builder, "presence", presence::onPresence);
        follow(builder, "push_rules", push::onPushRule);
        follow(builder, "pushers", push::onPusher);
        follow(builder, "caches", registry::onCacheRow);
        // no cached reads of these yet: they only feed the change caches
        follow(builder, "to_device", row -> { });
        follow(builder, "device_lists", row -> { });
        if (schema == SynapseSchema.SEED) {
            follow(builder, "user_account_data", accountData::onGlobal);
            follow(builder, "room_account_data", accountData::onRoom);
            follow(builder, "tag_account_data", accountData::onTags);
            follow(builder, "deleted_pushers", push::onDeletedPusher);
            follow(builder, "public_rooms", row -> { });
        } else {
            follow(builder, "account_data", accountData::onAccountData);
        }
        return builder.onResync(this::invalidateAll).onMissingStreams(this::notServed);
    }

    /** The relay does not serve {@code streams} (of those the client follows): see the class comment. */
    private void notServed(Set<String> streams) {
        Set<String> mine = new LinkedHashSet<>(streams);
        mine.retainAll(schema.streams);
        missing.set(mine);
        changes.blind(mine);
    }

    /**
     * The streams {@link #attach} follows: those of the built-in catalog of the database's schema (its
     * {@code thread_subscriptions} and {@code un_partial_stated_*} streams feed no cache here and are not followed).
     */
    public List<String> streams() {
        return schema.streams;
    }

    /** The database's Synapse schema: {@code synapse-seed} or {@code synapse-current}, as the matching catalog. */
    public String schema() {
        return schema.catalog;
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

    @Override
    public void close() {
        pool.close();
    }
}
