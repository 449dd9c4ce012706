package io.synrep.it;

import io.synrep.client.ReplicationClient;
import io.synrep.client.Row;
import io.synrep.client.synapse.SlavedStores;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Test control over a real reader: a gate that holds the reader thread before the stores see a row (so a test can
 * show that a cache still answers from before a write until the write's row is processed), and a record of the rows
 * handled, to wait until a given write has been processed.
 */
final class StoreGate {
    private final List<Row> handled = new CopyOnWriteArrayList<>();
    private boolean closed;
    private Row held;

    /** Registers the gate before the stores' handlers and the recorder after them, on every stream. */
    ReplicationClient.Builder wrap(ReplicationClient.Builder builder, SlavedStores stores) {
        for (String s : stores.streams()) {
            builder.on(s, this::pass);
        }
        stores.attach(builder);
        for (String s : stores.streams()) {
            builder.on(s, handled::add);
        }
        return builder;
    }

    synchronized void close() {
        closed = true;
        held = null;
    }

    synchronized void open() {
        closed = false;
        notifyAll();
    }

    private synchronized void pass(Row row) {
        if (!closed) {
            return;
        }
        held = row;
        notifyAll();
        while (closed) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted at the gate", e);
            }
        }
    }

    /** The first row the closed gate holds back, once one arrived. */
    synchronized Row awaitHeld() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (held == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no row reached the gate within 30 s");
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return held;
    }

    /** How many rows were handled so far: pass it to {@link #awaitProcessed} to skip older matches. */
    int mark() {
        return handled.size();
    }

    /** Waits until a row matching {@code which} was handled and the client published its position; returns it. */
    Row awaitProcessed(ReplicationClient client, Predicate<Row> which) throws InterruptedException {
        return awaitProcessed(client, which, 0);
    }

    /** As {@link #awaitProcessed(ReplicationClient, Predicate)}, among the rows handled after {@code mark}. */
    Row awaitProcessed(ReplicationClient client, Predicate<Row> which, int mark) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<Row> rows = List.copyOf(handled);
            for (Row r : rows.subList(Math.min(mark, rows.size()), rows.size())) {
                if (which.test(r)) {
                    if (!client.awaitPosition(r.position(), Duration.ofSeconds(30))) {
                        throw new AssertionError("position " + r.position() + " never published");
                    }
                    return r;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no matching row handled within 30 s; handled: " + handled);
    }

    static Predicate<Row> row(String stream, String field, String value) {
        return r -> r.stream().equals(stream) && value.equals(r.text(field));
    }
}
