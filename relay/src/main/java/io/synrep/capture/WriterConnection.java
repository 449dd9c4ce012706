package io.synrep.capture;

import io.synrep.config.CaptureConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * One JDBC connection to the writer, opened when first used and replaced after a failure: a call that fails
 * closes it, and the next call opens a new one. So a restarted PostgreSQL costs one failed call, not a stuck
 * component.
 *
 * <p>{@link #open} is how every part of the relay connects to the writer (the configured role, or
 * {@value #DEFAULT_USER} when neither the options nor the URL name one; the password; {@code ApplicationName}
 * {@code synrep}). Thread-safe: calls are serialised on the one connection.
 */
public final class WriterConnection implements AutoCloseable {
    /** The login role when neither {@code --pg-user} nor the URL names one. */
    public static final String DEFAULT_USER = "postgres";

    /** Work done on the connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection conn) throws SQLException;
    }

    /** Run once on every newly opened connection, before any work; a failure closes it. */
    @FunctionalInterface
    public interface OnOpen {
        OnOpen NOTHING = conn -> {};

        void prepare(Connection conn) throws SQLException;
    }

    private final CaptureConfig config;
    private final OnOpen onOpen;
    private Connection conn;

    public WriterConnection(CaptureConfig config) {
        this(config, OnOpen.NOTHING);
    }

    public WriterConnection(CaptureConfig config, OnOpen onOpen) {
        this.config = config;
        this.onOpen = onOpen;
    }

    /**
     * Runs {@code work} on the connection, opening one first when there is none (or it was closed under us).
     *
     * @throws SQLException what opening or the work threw; the connection is closed by then
     */
    public synchronized <T> T use(Work<T> work) throws SQLException {
        try {
            if (conn == null || conn.isClosed()) {
                conn = open(config);
                onOpen.prepare(conn);
            }
            return work.run(conn);
        } catch (SQLException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Closes the connection, if open; a later {@link #use} opens a new one. Never throws. */
    @Override
    public synchronized void close() {
        if (conn == null) {
            return;
        }
        try {
            conn.close();
        } catch (SQLException ignored) {
            // broken already
        }
        conn = null;
    }

    /** A new connection to the writer as configured; the caller closes it. */
    public static Connection open(CaptureConfig c) throws SQLException {
        Properties p = new Properties();
        if (c.user() != null) {
            p.setProperty("user", c.user());
        } else if (!urlNamesUser(c.jdbcUrl())) {
            // as documented (and as Debezium's connection does): not the operating system's user name
            p.setProperty("user", DEFAULT_USER);
        }
        if (c.password() != null) {
            p.setProperty("password", c.password());
        }
        p.setProperty("ApplicationName", "synrep");
        return DriverManager.getConnection(c.jdbcUrl(), p);
    }

    static boolean urlNamesUser(String jdbcUrl) {
        Properties parsed = org.postgresql.Driver.parseURL(jdbcUrl, new Properties());
        return parsed != null && parsed.getProperty("user") != null;
    }
}
