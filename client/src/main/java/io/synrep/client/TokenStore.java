package io.synrep.client;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a reader keeps its {@link Tokens} between runs. {@link ReplicationClient} saves after it has handed a
 * response's rows to its handlers, so a reader restarted from saved tokens skips no position; one that died
 * between handling a response and saving (a crash) handles that response's rows again, never older ones.
 * Implementations are thread-safe and replace the saved tokens atomically.
 */
public interface TokenStore {
    Optional<Tokens> load();

    void save(Tokens tokens);

    /** Tokens kept in memory only: a restart starts over. */
    static TokenStore inMemory() {
        return new MemoryTokenStore();
    }

    /** Tokens in a JSON file, replaced atomically (written beside it, then renamed). */
    static TokenStore file(Path file) {
        return new FileTokenStore(file);
    }

    /**
     * Tokens in the table {@code synrep_reader_tokens} (created when absent) of a database, one row per reader
     * name, so that a reader keeping its state in that database can save tokens in the same place.
     */
    static TokenStore table(String jdbcUrl, String readerName) {
        return new TableTokenStore(jdbcUrl, readerName);
    }
}
