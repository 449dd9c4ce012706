package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's questions to the writer while it runs, over one reused connection: its current WAL position (asked
 * at most every 50 ms), the WAL the slot holds, what its schema lacks of the catalog; and a logical decoding message
 * to move capture past WAL without commits. A writer that cannot be reached gives an empty or unknown answer, never
 * an exception. Thread-safe (one question at a time).
 */
public final class WriterProbe implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WriterProbe.class);

    private final WriterConnection conn;
    private long value = -1;
    private long askedAt;
    private boolean emitFailed;
    private boolean schemaCheckFailed;

    public WriterProbe(CaptureConfig config) {
        this.conn = new WriterConnection(config);
    }

    /** A recent WAL position (at most 50 ms old); for logs and lag figures. Empty when the writer cannot be asked. */
    public synchronized OptionalLong get() {
        if (value >= 0 && System.nanoTime() - askedAt < 50_000_000L) {
            return OptionalLong.of(value);
        }
        return fresh();
    }

    /**
     * At least {@code position} if the writer has reached it: a cached value below it is re-asked, so a token
     * taken from the writer a moment ago is never judged ahead of it.
     */
    public synchronized OptionalLong atLeast(long position) {
        if (value >= position) {
            return OptionalLong.of(value);
        }
        return fresh();
    }

    /** Writes a non-transactional logical decoding message, which moves capture past WAL without commits. */
    public synchronized void emitMessage() {
        try {
            conn.use(c -> {
                try (Statement st = c.createStatement()) {
                    return st.execute("SELECT pg_logical_emit_message(false, 'synrep', '')");
                }
            });
        } catch (SQLException e) {
            if (!emitFailed) {
                LOG.warn("cannot emit a logical decoding message to move the slot past WAL without commits ({}); "
                        + "grant EXECUTE on pg_logical_emit_message to the relay's role", e.getMessage());
                emitFailed = true;
            }
        }
    }

    /** What the writer's schema lacks of the catalog's tables and columns, or null when it cannot be asked. */
    public synchronized SchemaGaps schemaGaps(Map<String, Set<String>> columns, List<String> publications) {
        try {
            return conn.use(c -> SchemaGaps.find(c, columns, publications));
        } catch (SQLException e) {
            LOG.debug("schema check: {}", e.getMessage());
            if (!schemaCheckFailed) {
                LOG.warn("cannot compare the writer's schema with the catalog: {}", e.getMessage());
                schemaCheckFailed = true;
            }
            return null;
        }
    }

    /** The WAL the slot holds on the writer; -1 figures when it cannot be asked. */
    public synchronized SlotSetup.WalHeld walHeld(String slot) {
        try {
            return conn.use(c -> SlotSetup.walHeld(c, slot));
        } catch (SQLException e) {
            return SlotSetup.WalHeld.UNKNOWN;
        }
    }

    private OptionalLong fresh() {
        long now = System.nanoTime();
        try {
            value = conn.use(SlotSetup::currentWalPosition);
            askedAt = now;
            return OptionalLong.of(value);
        } catch (SQLException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public synchronized void close() {
        conn.close();
    }
}
