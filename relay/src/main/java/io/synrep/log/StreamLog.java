package io.synrep.log;

import io.synrep.config.RetentionConfig;
import io.synrep.protocol.Position;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The retained, ordered rows of every stream, shared by one appender (capture) and many readers (HTTP).
 *
 * <p>Invariants: positions only grow; {@code horizon <= head}; the log holds every row with position in
 * {@code (horizon, head]} of every stream; a transaction's rows are appended, and dropped, atomically.
 * A token {@code t} is served when {@code horizon <= t}; older tokens get {@link PositionTooOldException}.
 *
 * <p>Thread-safe. Appends and reads are serialised by a read-write lock; waiters are completed after the append
 * is visible, so a reader woken by an append always sees its rows.
 */
public final class StreamLog implements TransactionSink {
    /** Rough heap cost of one retained row beyond its encoded bytes (array slots, array header). */
    static final int ROW_OVERHEAD = 40;

    private final Map<String, RowBuffer> buffers = new LinkedHashMap<>();
    private final Map<String, Set<CompletableFuture<Void>>> waiters = new HashMap<>();
    private final ArrayDeque<TxEntry> transactions = new ArrayDeque<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final RetentionConfig retention;
    private final InstantSource clock;

    private volatile boolean started;
    private long nowFloor = -1;
    /** Incremented by {@link #reset}: rows of one generation are never changed, only dropped oldest first. */
    private long generation;
    private long head;
    private long horizon;
    private long rows;
    private long bytes;
    private long appendedRows;
    private long appendedTransactions;

    private record TxEntry(long position, long appendedAtMillis, int rows, long bytes) {}

    public StreamLog(Collection<String> streams, RetentionConfig retention, InstantSource clock) {
        for (String s : streams) {
            buffers.put(s, new RowBuffer());
            waiters.put(s, ConcurrentHashMap.newKeySet());
        }
        this.retention = retention;
        this.clock = clock;
    }

    /** Sets the starting point: nothing at or below {@code position} will be served. Called once, before appends. */
    public void start(long position) {
        start(position, position);
    }

    /**
     * Sets the starting point after a restart: tokens at or above {@code horizon} are served, and transactions at
     * or below {@code head} are taken as already seen (the caller guarantees there are no rows in
     * {@code (horizon, head]}: they were evicted before the restart). Called once, before appends.
     */
    public void start(long horizon, long head) {
        if (head < horizon) {
            throw new IllegalArgumentException("head " + head + " below horizon " + horizon);
        }
        lock.writeLock().lock();
        try {
            if (started) {
                throw new IllegalStateException("log already started at " + this.horizon);
            }
            this.head = head;
            this.horizon = horizon;
            started = true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Starts a new WAL history (the slot was recreated): drops every retained row, serves nothing at or below
     * {@code position}, and wakes every waiting reader so that it learns at once that its token is too old.
     */
    public void reset(long position) {
        lock.writeLock().lock();
        try {
            requireStarted();
            transactions.clear();
            rows = 0;
            bytes = 0;
            for (RowBuffer b : buffers.values()) {
                b.dropThrough(Long.MAX_VALUE);
            }
            head = position;
            horizon = position;
            nowFloor = -1;
            generation++;
        } finally {
            lock.writeLock().unlock();
        }
        for (String stream : buffers.keySet()) {
            wake(stream);
        }
    }

    /**
     * The highest position at or below which the log retains no rows: what may be confirmed to the slot. It is
     * the head when nothing is retained, else just below the oldest retained transaction.
     */
    @Override
    public long confirmable() {
        lock.readLock().lock();
        try {
            return transactions.isEmpty() ? head : transactions.peekFirst().position() - 1;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Drops every retained transaction at or below {@code position} regardless of the retention bounds (the WAL
     * guard uses this when the slot holds too much WAL). Readers behind the new horizon get
     * {@link PositionTooOldException}.
     *
     * @return the number of rows dropped
     */
    public long evictThrough(long position) {
        lock.writeLock().lock();
        try {
            requireStarted();
            long dropped = 0;
            while (!transactions.isEmpty() && transactions.peekFirst().position() <= position) {
                dropped += dropOldest();
            }
            for (RowBuffer b : buffers.values()) {
                b.dropThrough(horizon);
            }
            return dropped;
        } finally {
            lock.writeLock().unlock();
        }
    }

    public boolean isStarted() {
        return started;
    }

    public Set<String> streams() {
        return buffers.keySet();
    }

    public boolean hasStream(String name) {
        return buffers.containsKey(name);
    }

    /**
     * Appends a committed transaction. A transaction at or below the head (a replayed duplicate) is ignored.
     *
     * @return whether the transaction was appended
     */
    @Override
    public boolean append(Transaction tx) {
        long position = tx.position();
        Map<String, List<byte[]>> byStream = tx.rows();
        Map<String, SpilledRows> spilled = tx.spilled();
        for (String stream : byStream.keySet()) {
            requireStream(stream);
        }
        for (String stream : spilled.keySet()) {
            requireStream(stream);
        }
        lock.writeLock().lock();
        try {
            requireStarted();
            if (position <= head) {
                return false;
            }
            int txRows = 0;
            long txBytes = 0;
            for (Map.Entry<String, List<byte[]>> e : byStream.entrySet()) {
                RowBuffer buffer = buffers.get(e.getKey());
                for (byte[] tail : e.getValue()) {
                    buffer.add(position, tail);
                    txBytes += tail.length + ROW_OVERHEAD;
                }
                txRows += e.getValue().size();
                buffer.countAppended(position, e.getValue().size());
            }
            for (Map.Entry<String, SpilledRows> e : spilled.entrySet()) {
                RowBuffer buffer = buffers.get(e.getKey());
                buffer.add(position, e.getValue());
                txRows += e.getValue().rows();
                txBytes += ROW_OVERHEAD;
                buffer.countAppended(position, e.getValue().rows());
            }
            head = position;
            if (txRows > 0) {
                transactions.addLast(new TxEntry(position, clock.millis(), txRows, txBytes));
                rows += txRows;
                bytes += txBytes;
                appendedRows += txRows;
                appendedTransactions++;
            }
            evict();
        } finally {
            lock.writeLock().unlock();
        }
        for (String stream : byStream.keySet()) {
            wake(stream);
        }
        for (String stream : spilled.keySet()) {
            wake(stream);
        }
        return true;
    }

    private void requireStream(String stream) {
        if (!buffers.containsKey(stream)) {
            throw new IllegalArgumentException("unknown stream " + stream);
        }
    }

    /**
     * Moves the head without rows (a heartbeat or a transaction with no streamed rows): the relay has read the WAL
     * up to {@code position}. Ignored when not ahead of the head.
     */
    @Override
    public void advance(long position) {
        lock.writeLock().lock();
        try {
            requireStarted();
            if (position > head) {
                head = position;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Applies the age bound; appends apply all bounds themselves. */
    public void expire() {
        lock.writeLock().lock();
        try {
            if (started) {
                evict();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Reads each requested stream after its token. Tokens are positions already resolved by
     * {@link #resolve(long)}; all streams are read from one consistent snapshot.
     *
     * @param tokens stream name to the position the reader holds (exclusive)
     * @param limit  soft per-stream row cap, only checked between transactions
     * @throws PositionTooOldException when any token is below the horizon
     */
    public Snapshot read(Map<String, Long> tokens, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        lock.readLock().lock();
        try {
            requireStarted();
            Map<String, Page> pages = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Long> e : tokens.entrySet()) {
                    long token = e.getValue();
                    if (token < horizon) {
                        throw new PositionTooOldException(token, horizon);
                    }
                    Page page = readStream(e.getKey(), token, limit);
                    if (page != null) {
                        pages.put(e.getKey(), page);
                    }
                }
            } catch (RuntimeException failed) {
                // pages of earlier streams already hold spill files; nobody else will release them
                pages.values().forEach(Page::release);
                throw failed;
            }
            return new Snapshot(head, horizon, generation, pages);
        } finally {
            lock.readLock().unlock();
        }
    }

    private Page readStream(String stream, long token, int limit) {
        RowBuffer buffer = buffers.get(stream);
        if (buffer == null) {
            throw new IllegalArgumentException("unknown stream " + stream);
        }
        if (token >= head) {
            return null;
        }
        int from = buffer.firstAfter(token);
        int end = from;
        long taken = 0;
        // take whole transactions until the soft limit is reached at a transaction boundary
        while (end < buffer.size()) {
            long p = buffer.positionAt(end);
            if (taken >= limit && p != buffer.positionAt(end - 1)) {
                break;
            }
            taken += RowBuffer.rowsIn(buffer.entryAt(end));
            end++;
        }
        int count = end - from;
        long[] positions = new long[count];
        Object[] entries = new Object[count];
        for (int i = 0; i < count; i++) {
            positions[i] = buffer.positionAt(from + i);
            Object e = buffer.entryAt(from + i);
            if (e instanceof SpilledRows spilledRows && !spilledRows.retain()) {
                throw new IllegalStateException("spilled rows released while retained");
            }
            entries[i] = e;
        }
        long resume = end < buffer.size() ? positions[count - 1] : head;
        return new Page(stream, resume, positions, entries, count);
    }

    /**
     * Makes {@code now} resolve to at least {@code position}: after a restart the relay replays rows it had already
     * served, and a reader asking for {@code now} must skip them too, not only what the replay has reached.
     */
    public void skipHistoryThrough(long position) {
        lock.writeLock().lock();
        try {
            nowFloor = position;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Resolves {@code -1} to the horizon and {@code now} to the head (or to the {@linkplain #skipHistoryThrough
     * history floor} while the relay is replaying below it); other positions pass through.
     */
    public long resolve(long token) {
        lock.readLock().lock();
        try {
            if (token == Position.OLDEST) {
                return horizon;
            }
            if (token == Position.NOW) {
                return Math.max(head, nowFloor);
            }
            return token;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * A future completed when any of {@code streams} gets rows appended after this call. The caller must re-read
     * after registering (a row appended between its read and this call is otherwise missed) and must
     * {@link #cancel} the future when it gives up, which drops the registration.
     */
    public CompletableFuture<Void> awaitRows(Collection<String> streams) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        for (String s : streams) {
            Set<CompletableFuture<Void>> set = waiters.get(s);
            if (set == null) {
                throw new IllegalArgumentException("unknown stream " + s);
            }
            set.add(f);
        }
        f.whenComplete((v, t) -> {
            for (String s : streams) {
                waiters.get(s).remove(f);
            }
        });
        return f;
    }

    public void cancel(CompletableFuture<Void> waiter) {
        waiter.cancel(false);
    }

    /** Registrations currently held, summed over streams (a waiter on two streams counts twice); for tests. */
    int waiterCount() {
        int n = 0;
        for (Set<CompletableFuture<Void>> set : waiters.values()) {
            n += set.size();
        }
        return n;
    }

    private void wake(String stream) {
        Set<CompletableFuture<Void>> set = waiters.get(stream);
        for (CompletableFuture<Void> f : set) {
            f.complete(null);
        }
    }

    @Override
    public long head() {
        lock.readLock().lock();
        try {
            return head;
        } finally {
            lock.readLock().unlock();
        }
    }

    public long horizon() {
        lock.readLock().lock();
        try {
            return horizon;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Figures for status and metrics. */
    public Stats stats() {
        lock.readLock().lock();
        try {
            return statsLocked();
        } finally {
            lock.readLock().unlock();
        }
    }

    private Stats statsLocked() {
        Map<String, Long> perStream = new LinkedHashMap<>();
        buffers.forEach((k, v) -> perStream.put(k, v.rows()));
        return new Stats(head, horizon, rows, bytes, appendedRows, appendedTransactions, perStream);
    }

    /** The log's totals and every stream's figures, all from one instant (for the status report). */
    public Report report() {
        lock.readLock().lock();
        try {
            Map<String, StreamStats> streams = new LinkedHashMap<>();
            buffers.forEach((k, b) -> streams.put(k, new StreamStats(b.appendedRows(), b.rows(), b.lastAppended())));
            return new Report(statsLocked(), streams);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Totals and per-stream figures taken together; {@code streams} is in catalog order. */
    public record Report(Stats totals, Map<String, StreamStats> streams) {}

    /**
     * One stream's figures, read under the log's lock (cheap: three fields), for status and metrics.
     *
     * @throws IllegalArgumentException for an unknown stream
     */
    public StreamStats streamStats(String stream) {
        RowBuffer b = buffers.get(stream);
        if (b == null) {
            throw new IllegalArgumentException("unknown stream " + stream);
        }
        lock.readLock().lock();
        try {
            return new StreamStats(b.appendedRows(), b.rows(), b.lastAppended());
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * One stream's counters.
     *
     * @param appendedRows  rows appended since the process started (replayed rows included; eviction and
     *                      {@link #reset} do not lower it)
     * @param retainedRows  rows retained now
     * @param lastPosition  position of the newest transaction that appended rows to the stream, -1 before any
     */
    public record StreamStats(long appendedRows, long retainedRows, long lastPosition) {}

    /** A point-in-time view of the log's bounds and size. */
    public record Stats(long head, long horizon, long retainedRows, long retainedBytes, long appendedRows,
                        long appendedTransactions, Map<String, Long> rowsPerStream) {}

    /**
     * The result of one {@link #read}: the head, horizon and generation at that instant and the pages of streams to
     * report. Two reads with the same tokens, limit, head and generation return the same rows: rows up to the head
     * never change within a generation (a {@link #reset} starts a new one).
     */
    public record Snapshot(long head, long horizon, long generation, Map<String, Page> pages) {
        public boolean hasRows() {
            for (Page p : pages.values()) {
                if (p.rows() > 0) {
                    return true;
                }
            }
            return false;
        }
    }

    private void evict() {
        long ageLimit = clock.millis() - retention.maxAge().toMillis();
        while (!transactions.isEmpty()) {
            TxEntry oldest = transactions.peekFirst();
            // size bounds never drop the newest transaction (it is kept whole); age drops even that one
            boolean oversize = transactions.size() > 1
                    && (rows > retention.maxRows() || bytes > retention.maxBytes());
            if (!oversize && oldest.appendedAtMillis() >= ageLimit) {
                break;
            }
            dropOldest();
        }
        for (RowBuffer b : buffers.values()) {
            b.dropThrough(horizon);
        }
    }

    private int dropOldest() {
        TxEntry oldest = transactions.removeFirst();
        rows -= oldest.rows();
        bytes -= oldest.bytes();
        horizon = oldest.position();
        return oldest.rows();
    }

    private void requireStarted() {
        if (!started) {
            throw new IllegalStateException("log not started");
        }
    }
}
