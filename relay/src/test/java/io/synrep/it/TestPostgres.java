package io.synrep.it;

import io.synrep.embedded.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL (embedded, wal_level=logical, synchronous_commit=on) per test JVM. Each test gets its own
 * database with the Synapse schema applied, so slots, publications and rows never leak between tests.
 */
public final class TestPostgres {
    private static EmbeddedDatabase server;
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private TestPostgres() {}

    public static synchronized EmbeddedDatabase server() {
        if (server == null) {
            try {
                server = EmbeddedDatabase.start(null, 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // exiting anyway
                }
            }));
        }
        return server;
    }

    /** Creates a fresh database with {@code sql/schema.sql} applied and returns its JDBC URL (user postgres). */
    public static String freshDatabase(String prefix) {
        try {
            return freshDatabase(prefix, EmbeddedDatabase.schemaSql());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Creates a fresh database with a mirror of current Synapse's tables ({@code synapse-current/schema.sql}: no
     * primary keys where Synapse has none, no replica identity set) and returns its JDBC URL (user postgres).
     */
    public static String freshCurrentSynapseDatabase(String prefix) {
        try (java.io.InputStream in = TestPostgres.class.getResourceAsStream("/synapse-current/schema.sql")) {
            return freshDatabase(prefix, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String freshDatabase(String prefix, String schemaSql) {
        EmbeddedDatabase s = server();
        String name = prefix + "_" + COUNTER.incrementAndGet() + "_" + ProcessHandle.current().pid();
        try (Connection c = s.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        String url = "jdbc:postgresql://localhost:" + s.port() + "/" + name + "?user=postgres";
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute(schemaSql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return url;
    }

    public static Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url);
    }
}
