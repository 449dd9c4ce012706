package io.synrep.bench;

import io.synrep.embedded.EmbeddedDatabase;
import io.synrep.protocol.Position;
import io.synrep.streams.Catalog;
import java.io.IOException;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Collectors;

/**
 * The benchmark's own PostgreSQL (embedded, as {@code serve} starts it: {@code wal_level=logical},
 * {@code synchronous_commit=on}) with the Synapse schema and the relay's publication, and the writes the scenarios
 * make. Rows go to {@code device_lists_stream} (the {@code device_lists} stream) with increasing {@code stream_id}s,
 * so that a reader can tell which write a row came from.
 */
final class BenchDatabase implements AutoCloseable {
    static final String PUBLICATION = "synrep";
    private final EmbeddedDatabase db;
    private long nextStreamId = 1;

    private BenchDatabase(EmbeddedDatabase db) {
        this.db = db;
    }

    static BenchDatabase start() throws IOException, SQLException {
        EmbeddedDatabase db = EmbeddedDatabase.start(null, 0);
        try {
            db.applySchema();
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                // the publication must exist before the WAL that is decoded through it
                String tables = Catalog.builtin().tables().stream().map(BenchDatabase::quote)
                        .collect(Collectors.joining(", "));
                st.execute("CREATE PUBLICATION " + PUBLICATION + " FOR TABLE " + tables);
                st.execute("""
                        CREATE PROCEDURE bench_write(first_id bigint, n bigint, per_tx int) LANGUAGE plpgsql AS $$
                        BEGIN
                          FOR i IN 0 .. n - 1 LOOP
                            INSERT INTO device_lists_stream (stream_id, user_id, device_id)
                              VALUES (first_id + i, '@user' || ((first_id + i) % 1000) || ':bench.test',
                                      'DEVICE' || (first_id + i));
                            IF (i + 1) % per_tx = 0 THEN COMMIT; END IF;
                          END LOOP;
                        END $$""");
            }
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
        return new BenchDatabase(db);
    }

    private static String quote(String qualified) {
        int dot = qualified.indexOf('.');
        return dot < 0 ? '"' + qualified + '"'
                : '"' + qualified.substring(0, dot) + "\".\"" + qualified.substring(dot + 1) + '"';
    }

    String jdbcUrl() {
        return db.jdbcUrl();
    }

    int port() {
        return db.port();
    }

    Connection connect() throws SQLException {
        return db.connect();
    }

    long currentLsn() throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Position.parseLsn(rs.getString(1));
        }
    }

    /** Creates a pgoutput slot at the current end of WAL. */
    void createSlot(String name) throws SQLException {
        try (Connection c = db.connect();
             PreparedStatement ps = c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
            ps.setString(1, name);
            ps.execute();
        }
    }

    void dropSlot(String name) throws SQLException {
        try (Connection c = db.connect();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, name);
            ps.execute();
        }
    }

    /**
     * Writes {@code rows} rows in transactions of {@code perTransaction} rows from a server-side procedure (one
     * COMMIT per transaction). The loading session uses {@code synchronous_commit=off}: the WAL records are the same,
     * the load does not wait for a flush per commit. Returns the first stream id written.
     */
    long write(long rows, int perTransaction) throws SQLException {
        long first = nextStreamId;
        nextStreamId += rows;
        try (Connection c = db.connect()) {
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("SET synchronous_commit = off");
            }
            try (CallableStatement call = c.prepareCall("CALL bench_write(?, ?, ?)")) {
                call.setLong(1, first);
                call.setLong(2, rows);
                call.setInt(3, perTransaction);
                call.execute();
            }
        }
        return first;
    }

    /** Writes one transaction of {@code rows} rows with a single INSERT ... SELECT. Returns its first stream id. */
    long writeOneTransaction(long rows) throws SQLException {
        long first = nextStreamId;
        nextStreamId += rows;
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("""
                INSERT INTO device_lists_stream (stream_id, user_id, device_id)
                SELECT g, '@user' || (g % 1000) || ':bench.test', 'DEVICE' || g
                FROM generate_series(?::bigint, ?::bigint) g""")) {
            c.setAutoCommit(true);
            ps.setLong(1, first);
            ps.setLong(2, first + rows - 1);
            ps.executeUpdate();
        }
        return first;
    }

    /** Commits one row in its own transaction ({@code synchronous_commit=on}); returns its stream id. */
    long writeRow() throws SQLException {
        long id = reserve(1);
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (?, '@one:bench.test', 'ONE')")) {
            c.setAutoCommit(true);
            ps.setLong(1, id);
            ps.executeUpdate();
        }
        return id;
    }

    /** The next stream id {@link #write} would use; for writers that insert rows themselves. */
    synchronized long reserve(long rows) {
        long first = nextStreamId;
        nextStreamId += rows;
        return first;
    }

    /**
     * Writes a row in another stream ({@code caches}) and returns the end of WAL before it: once a relay's position
     * reaches that, it has captured everything written before this call.
     */
    long marker() throws SQLException {
        long before = currentLsn();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts) "
                    + "VALUES (-1, 'bench_marker', NULL, 0)");
        }
        return before;
    }

    @Override
    public void close() throws IOException {
        db.close();
    }
}
