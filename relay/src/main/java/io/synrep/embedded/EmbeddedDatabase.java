package io.synrep.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A PostgreSQL server started in-process from Maven Central binaries (zonky), configured for logical replication
 * with {@code synchronous_commit=on}. For the demo, for {@code serve} without {@code --pg-url}, and for tests.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private final EmbeddedPostgres pg;

    private EmbeddedDatabase(EmbeddedPostgres pg) {
        this.pg = pg;
    }

    /**
     * Starts a server.
     *
     * @param dataDir a data directory to keep between runs, or null for a fresh temporary one
     * @param port    a port, or 0 for any free port
     */
    public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                .setServerConfig("wal_level", "logical")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("max_replication_slots", "64")
                .setServerConfig("max_wal_senders", "64")
                .setServerConfig("max_connections", "200")
                .setServerConfig("wal_sender_timeout", "60s")
                .setServerConfig("fsync", "on");
        if (dataDir != null) {
            b.setDataDirectory(dataDir).setCleanDataDirectory(false);
        }
        if (port > 0) {
            b.setPort(port);
        }
        return new EmbeddedDatabase(b.start());
    }

    public int port() {
        return pg.getPort();
    }

    /** JDBC URL of the {@code postgres} database, user {@code postgres}, no password. */
    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + pg.getPort() + "/postgres?user=postgres";
    }

    public Connection connect() throws SQLException {
        return pg.getPostgresDatabase().getConnection();
    }

    /** Applies {@code sql/schema.sql} (shipped in the jar); idempotent. */
    public void applySchema() throws SQLException, IOException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(schemaSql());
        }
    }

    /** The text of {@code sql/schema.sql}, from the jar. */
    public static String schemaSql() throws IOException {
        try (InputStream in = EmbeddedDatabase.class.getResourceAsStream("/io/synrep/sql/schema.sql")) {
            if (in == null) {
                throw new IOException("schema.sql missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() throws IOException {
        pg.close();
    }
}
