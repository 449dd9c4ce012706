package io.synrep.streams;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where {@link TransactionMapper} puts the encoded rows of the transaction it is mapping, and what seals them at
 * the commit. The holder decides where the rows live (the heap, spill files); the mapper only sees this interface,
 * so it stays free of I/O.
 *
 * <p>Two kinds of rows: final rows (encoded tails, {@code ,v1,v2...}) and pending rows (encoded fields, some still
 * missing, that wait for joined rows of the same transaction and are read back in order at the end). Rows of a
 * stream are handed back in the order they were added. Used by one mapping thread; implementations need not be
 * thread-safe.
 *
 * @param <T> what a finished transaction is sealed as (for the relay: the log's transaction)
 */
public interface TransactionRows<T> {
    /** Adds a final row of {@code stream}. */
    void add(String stream, byte[] tail);

    /** Adds a row of {@code stream} whose fields are not all known yet ({@code null} for a missing one). */
    void addPending(String stream, byte[][] fields);

    /** Streams with pending rows, in first-seen order. */
    List<String> pendingStreams();

    /** Hands each pending row of {@code stream} to {@code action}, in the order added, and forgets them. */
    void forEachPending(String stream, Consumer<byte[][]> action);

    /** Seals the transaction's rows at its commit {@code position} and starts empty for the next one. */
    T finish(long position);

    /** Drops everything held (a transaction abandoned mid-way, e.g. replayed after an engine restart). */
    void reset();
}
