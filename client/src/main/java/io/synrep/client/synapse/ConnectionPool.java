package io.synrep.client.synapse;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A small pool of JDBC connections to the shared database for the slaved stores: at most {@code size} in use at
 * once, each validated when borrowed, and closed rather than returned after any error, so a restarted PostgreSQL
 * costs failed reads only until the broken connections are replaced. Connections run in auto-commit, so each
 * statement reads one fresh snapshot: a store's load is one statement, hence never torn across tables.
 *
 * <p>Thread-safe. No dependency beyond the JDBC driver: the reader library must not pull in a pool library.
 */
final class ConnectionPool implements AutoCloseable {
    /** One unit of work on a borrowed connection. */
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Maps the current row of a result set. */
    interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private static final long BORROW_WAIT_SECONDS = 10;
    private static final int VALIDATE_SECONDS = 2;

    private final String url;
    private final Properties properties;
    private final int size;
    private final BlockingQueue<Connection> idle;
    private final Semaphore permits;
    private volatile boolean closed;

    ConnectionPool(String url, Properties properties, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("pool size must be >= 1");
        }
        this.url = url;
        this.properties = new Properties();
        this.properties.putAll(properties);
        this.properties.putIfAbsent("ApplicationName", "synrep-reader");
        this.size = size;
        this.idle = new ArrayBlockingQueue<>(size);
        this.permits = new Semaphore(size, true);
    }

    /** Runs {@code work} on a pooled connection; SQL errors become {@link StoreException}s. */
    <T> T read(Work<T> work) {
        Connection c = borrow();
        boolean healthy = false;
        try {
            T result = work.run(c);
            healthy = true;
            return result;
        } catch (SQLException e) {
            throw new StoreException("database read failed: " + e.getMessage()
                    + " (is the Synapse schema from sql/schema.sql applied, and PostgreSQL up?)", e);
        } finally {
            giveBack(c, healthy);
        }
    }

    /** Every row of one query (one statement, so one snapshot), mapped, as an immutable list. */
    <T> List<T> list(String sql, RowReader<T> reader, Object... params) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                List<T> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(reader.read(rs));
                    }
                }
                return List.copyOf(out);
            }
        });
    }

    private Connection borrow() {
        if (closed) {
            throw new StoreException("the reader's connection pool is closed", null);
        }
        try {
            if (!permits.tryAcquire(BORROW_WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new StoreException("all " + size + " database connections stayed busy for "
                        + BORROW_WAIT_SECONDS + " s (slow queries? a larger pool?)", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a database connection", e);
        }
        try {
            Connection c;
            while ((c = idle.poll()) != null) {
                if (valid(c)) {
                    return c;
                }
                closeQuietly(c);
            }
            return open();
        } catch (RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    private void giveBack(Connection c, boolean healthy) {
        // a failed statement may have left the session in an unknown state: replace it rather than guess
        if (!healthy || closed || !idle.offer(c)) {
            closeQuietly(c);
        }
        permits.release();
    }

    private Connection open() {
        try {
            Connection c = DriverManager.getConnection(url, properties);
            c.setAutoCommit(true);
            return c;
        } catch (SQLException e) {
            throw new StoreException("cannot connect to PostgreSQL at " + redact(url) + ": " + e.getMessage()
                    + " (is PostgreSQL running and reachable, and is --pg-url right?)", e);
        }
    }

    private static boolean valid(Connection c) {
        try {
            return c.isValid(VALIDATE_SECONDS);
        } catch (SQLException e) {
            return false;
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // it is being discarded because it is broken
        }
    }

    /** The URL without its password, for messages. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.poll()) != null) {
            closeQuietly(c);
        }
    }
}
