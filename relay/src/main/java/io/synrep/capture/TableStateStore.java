package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * The state as one row per slot in the table {@code synrep_state} of the writer's database (created when absent).
 * A save is one single-row upsert, atomic by PostgreSQL's transaction.
 */
public final class TableStateStore implements StateStore {
    static final String TABLE = "synrep_state";
    private final CaptureConfig config;
    private final WriterConnection conn;

    public TableStateStore(CaptureConfig config) {
        this.config = config;
        this.conn = new WriterConnection(config, TableStateStore::createTable);
    }

    @Override
    public synchronized Optional<RelayState> load() {
        try {
            Optional<String> json = conn.use(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT state FROM " + TABLE + " WHERE slot = ?")) {
                    ps.setString(1, config.slot());
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                    }
                }
            });
            if (json.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(RelayState.fromJson(json.get().getBytes(StandardCharsets.UTF_8)));
        } catch (SQLException e) {
            throw new StateStoreException("cannot read " + describe() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StateStoreException(describe() + " does not hold a Synrep state (" + e.getMessage()
                    + "); delete the row for slot " + config.slot() + " to start from the slot's confirmed position", e);
        }
    }

    @Override
    public synchronized void save(RelayState state) {
        try {
            conn.use(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (slot, state, saved_at) "
                        + "VALUES (?, ?, now()) ON CONFLICT (slot) DO UPDATE SET state = EXCLUDED.state, saved_at = now()")) {
                    ps.setString(1, config.slot());
                    ps.setString(2, new String(state.toJson(), StandardCharsets.UTF_8));
                    return ps.executeUpdate();
                }
            });
        } catch (SQLException e) {
            throw new StateStoreException("cannot write " + describe() + ": " + e.getMessage(), e);
        }
    }

    private static void createTable(Connection c) throws SQLException {
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + TABLE
                    + " (slot text PRIMARY KEY, state text NOT NULL, saved_at timestamptz NOT NULL)");
        } catch (SQLException e) {
            throw new SQLException(e.getMessage() + " (grant the relay's role CREATE on the schema, or create "
                    + TABLE + " as in sql/relay-state.sql)", e.getSQLState(), e);
        }
    }

    @Override
    public String describe() {
        return "table " + TABLE + " (slot " + config.slot() + ") in " + config.maskedUrl();
    }
}
