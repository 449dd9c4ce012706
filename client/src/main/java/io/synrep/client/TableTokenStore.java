package io.synrep.client;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

final class TableTokenStore implements TokenStore {
    static final String TABLE = "synrep_reader_tokens";
    private final String jdbcUrl;
    private final String reader;
    private Connection conn;

    TableTokenStore(String jdbcUrl, String reader) {
        this.jdbcUrl = jdbcUrl;
        this.reader = reader;
    }

    @Override
    public synchronized Optional<Tokens> load() {
        try (PreparedStatement ps = connection().prepareStatement("SELECT tokens FROM " + TABLE + " WHERE reader = ?")) {
            ps.setString(1, reader);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(TokensJson.read(rs.getString(1))) : Optional.empty();
            }
        } catch (SQLException e) {
            drop();
            throw new IllegalStateException("cannot read reader tokens of " + reader + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalStateException("the saved tokens of " + reader + " in " + TABLE + " are damaged: "
                    + e.getMessage() + " (delete the row to start over)", e);
        }
    }

    @Override
    public synchronized void save(Tokens t) {
        try (PreparedStatement ps = connection().prepareStatement("INSERT INTO " + TABLE
                + " (reader, tokens, saved_at) VALUES (?, ?, now()) "
                + "ON CONFLICT (reader) DO UPDATE SET tokens = EXCLUDED.tokens, saved_at = now()")) {
            ps.setString(1, reader);
            ps.setString(2, TokensJson.write(t));
            ps.executeUpdate();
        } catch (SQLException e) {
            drop();
            throw new IllegalStateException("cannot save reader tokens of " + reader + ": " + e.getMessage(), e);
        }
    }

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) {
            conn = DriverManager.getConnection(jdbcUrl);
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS " + TABLE
                        + " (reader text PRIMARY KEY, tokens text NOT NULL, saved_at timestamptz NOT NULL)");
            }
        }
        return conn;
    }

    private void drop() {
        try {
            if (conn != null) {
                conn.close();
            }
        } catch (SQLException ignored) {
            // broken already
        }
        conn = null;
    }
}
