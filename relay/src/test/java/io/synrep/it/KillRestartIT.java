package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Crash safety end to end: a relay in its own JVM is killed with SIGKILL again and again in the middle of a
 * sustained write burst and restarted with the same {@code --data-dir}; a reader that kept its tokens ends with
 * exactly the rows the database holds, none lost, none delivered twice.
 *
 * <p>The writers talk to PostgreSQL only, so they keep writing while the relay is down. The relay retains rows for
 * {@value #RETENTION_AGE} after it appended them: far longer than this reader ever lags, so the reader is never too
 * old, yet short enough that the horizon moves during the run, so the relay confirms positions to the slot and
 * saves its state (offsets and horizon) while rows flow. After each crash it replays the WAL from its saved state;
 * positions are commit LSNs, so the replay rebuilds the same positions and the reader's tokens stay valid. (Age,
 * not a row count, bounds retention here: replayed rows count as appended when replayed, so a fast replay after a
 * restart cannot evict rows the reader has yet to fetch.) Kill points, in this order:
 * <ol>
 *   <li>while a 100,000-row transaction is being captured (after its commit, before the reader has it);</li>
 *   <li>right after a writer's commit returns (the kill runs on the writer thread);</li>
 *   <li>at a random moment (seed printed; rerun with {@code -Dsynrep.kill.seed=S});</li>
 *   <li>during an offset flush: {@code -Dsynrep.test.halt-in-state-save=3} makes the relay halt itself between
 *       writing its state file's temporary copy and renaming it;</li>
 *   <li>at another random moment.</li>
 * </ol>
 * The reader checks every response as it arrives ({@link KeepingReader}); the end state is compared with the
 * database row by row, and each writer transaction must have arrived under one position of its own.
 */
class KillRestartIT {
    static final int WRITERS = 3;
    /** Small-transaction rows the burst writes at least (the large transaction comes on top). */
    static final int SMALL_ROWS = 50_000;
    /** Pace of the burst, all writers together: spreads it over the whole kill schedule. */
    static final int ROWS_PER_SECOND = 1_200;
    static final int LARGE_ROWS = 100_000;
    /** The stream field that carries each row's transaction tag. */
    static final Map<String, String> TAG_FIELDS = Map.of("events", "event_id", "device_lists", "device_id");
    static final Duration CATCH_UP = Duration.ofSeconds(120);
    static final String RETENTION_AGE = "20s";

    final List<RelayProcess> generations = new ArrayList<>();
    final List<Long> servingMillis = new ArrayList<>();
    Path dataDir;
    List<String> serveArgs;
    KeepingReader reader;
    /** Set once the relay has written its state file: from then on it must always be there, whole. */
    boolean stateWritten;
    String url;
    /** The state found after the previous crash: the next one may not stand behind it. */
    RelayStateSeen lastState;
    int kills;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void readerThatKeptItsTokensGetsEveryRowOnceAcrossCrashes() throws Throwable {
        long seed = Long.getLong("synrep.kill.seed", System.nanoTime());
        System.out.println("KillRestartIT: kill schedule seed " + seed + " (rerun with -Dsynrep.kill.seed=" + seed
                + ")");
        Random schedule = new Random(seed);
        url = TestPostgres.freshDatabase("kill");
        dataDir = Files.createTempDirectory("synrep-kill");
        serveArgs = List.of("--pg-url", url, "--slot", "kill", "--publication", "kill", "--listen", "127.0.0.1:0",
                "--data-dir", dataDir.toString(), "--heartbeat", "200ms", "--retention-rows", "1000000",
                "--retention-age", RETENTION_AGE);
        long t0 = System.nanoTime();
        reader = new KeepingReader(TAG_FIELDS, "-1", 1000, 500);
        Burst burst = new Burst(url, WRITERS, ROWS_PER_SECOND, seed);
        try {
            RelayProcess relay = restart(List.of());
            reader.start();
            burst.start();
            await("the burst reaches the reader", () -> reader.totalRows() >= 2_000, burst);

            // kill 1: while a large transaction is captured: shortly after its commit, before the reader has it
            writeLargeTransaction(url);
            Thread.sleep(500); // pacing: let the relay start receiving it
            kill(relay);
            assertFalse(reader.hasTag("events", "big"),
                    "the reader already had the large transaction when the relay died: the kill came too late");
            relay = restart(List.of());
            await("the large transaction after the restart", () -> reader.hasTag("events", "big"), burst);

            // kill 2: right after a writer's commit returns: the writer thread itself kills the relay
            Thread.sleep(1_000); // pacing
            RelayProcess victim = relay;
            CompletableFuture<String> committed = new CompletableFuture<>();
            burst.afterNextCommit(tag -> {
                try {
                    victim.kill();
                    committed.complete(tag);
                } catch (Throwable t) {
                    committed.completeExceptionally(t);
                }
            });
            String killedAfter = committed.get(30, TimeUnit.SECONDS);
            kills++;
            assertStateIntact();
            relay = restart(List.of());

            // kill 3: at a random moment (may fall while the relay is still replaying)
            Thread.sleep(500 + schedule.nextInt(3_500));
            kill(relay);

            // kill 4: during an offset flush: the relay halts itself in its third state save, before the rename
            // (it may do so before it serves; then the reader just keeps retrying)
            long launched = System.nanoTime();
            RelayProcess halting = RelayProcess.launch(List.of("-Xmx512m", "-Dsynrep.test.halt-in-state-save=3"),
                    serveArgs);
            generations.add(halting);
            if (halting.awaitServing(Duration.ofSeconds(120))) {
                servingMillis.add((System.nanoTime() - launched) / 1_000_000);
                reader.pointAt(halting.base());
            }
            assertTrue(halting.awaitExit(Duration.ofSeconds(90)),
                    "the relay did not halt in its third state save within 90 s (does it save its state every second"
                            + " while its horizon moves?)");
            assertTrue(halting.output().contains("halting during state save 3"),
                    "the relay ended for another reason than the halt in its state save: " + halting.output());
            kills++;
            assertTrue(Files.isRegularFile(dataDir.resolve("state.json")),
                    "two completed saves before the halted one left a state file");
            assertStateIntact();
            relay = restart(List.of());

            // kill 5: at another random moment
            Thread.sleep(500 + schedule.nextInt(3_500));
            kill(relay);
            relay = restart(List.of());

            // the rest of the burst, then a fence transaction committed after every writer's last commit
            await("the burst has written " + SMALL_ROWS + " rows", () -> burst.rows.get() >= SMALL_ROWS, burst);
            burst.stop();
            burst.assertHealthy();
            writeFence(url);
            // positions are commit order without gaps: a stream holding the fence holds everything committed before
            long caughtUpFrom = System.nanoTime();
            await("the reader receives the fence on every stream",
                    () -> TAG_FIELDS.keySet().stream().allMatch(s -> reader.hasTag(s, "fence")), burst);
            long catchUpMillis = (System.nanoTime() - caughtUpFrom) / 1_000_000;
            reader.close();
            reader.assertHealthy();
            assertTrue(relay.isAlive(), relay.output());

            Map<String, List<String>> expected = WriterTailIT.expectedRows(url);
            long received = 0;
            for (String stream : TAG_FIELDS.keySet()) {
                List<KeepingReader.Received> rows = reader.rows(stream);
                received += rows.size();
                assertSameRows(stream, expected.get(stream),
                        rows.stream().map(KeepingReader.Received::fields).sorted().toList());
            }
            assertOnePositionPerTransaction();
            assertTrue(reader.hasTag("events", killedAfter) || reader.hasTag("device_lists", killedAfter),
                    "the transaction committed just before kill 2 arrived");
            long written = burst.rows.get() + LARGE_ROWS + 2;
            assertEquals(written, received, "rows written (burst + large transaction + fence) = rows received");
            assertEquals(written, expected.get("events").size() + expected.get("device_lists").size());
            for (RelayProcess g : generations) {
                assertFalse(g.output().contains("OutOfMemoryError"), g.output());
            }

            System.out.printf("FIGURES kill/restart: %d rows written (%d in %d transactions of 1-20 rows by %d writers"
                            + " at ~%d rows/s, + one %d-row transaction, + fence); %d kills (SIGKILL during a large"
                            + " transaction, after a commit, at 2 random moments; halt in a state save);"
                            + " start/restart to serving %s ms; %d rows received, each once, none lost, in %d responses"
                            + " (%d connection retries); final catch-up %d ms; whole run %.1f s%n",
                    written, burst.rows.get(), burst.transactions.get(), WRITERS, ROWS_PER_SECOND, LARGE_ROWS, kills,
                    servingMillis, received, reader.responses(), reader.retries(), catchUpMillis,
                    (System.nanoTime() - t0) / 1e9);
        } catch (Throwable t) {
            dumpOutputs();
            throw t;
        } finally {
            cleanUp(burst);
        }
    }

    /** Stops everything the test started, also after a failure; one failing step does not skip the others. */
    void cleanUp(Burst burst) {
        for (RelayProcess g : generations) {
            try {
                g.close();
            } catch (Exception e) {
                g.destroyForcibly();
            }
        }
        try {
            reader.close();
            burst.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (AssertionError e) {
            System.err.println("KillRestartIT clean-up: " + e.getMessage());
        }
    }

    /** Starts a relay generation with the same arguments and data directory; points the reader at it. */
    RelayProcess restart(List<String> extraJvmOptions) throws Exception {
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
        jvm.addAll(extraJvmOptions);
        long start = System.nanoTime();
        RelayProcess relay = RelayProcess.start(jvm, serveArgs);
        servingMillis.add((System.nanoTime() - start) / 1_000_000);
        generations.add(relay);
        reader.pointAt(relay.base());
        return relay;
    }

    void kill(RelayProcess relay) throws Exception {
        relay.kill();
        kills++;
        assertStateIntact();
    }

    /** What a crash left in state.json: the position capture resumes after (the offsets' largest lsn), the horizon. */
    record RelayStateSeen(long resume, long horizon) {}

    /**
     * The state file is replaced atomically: whenever the relay dies, it is absent (never written) or whole, and
     * what it holds lets the next relay continue the same history without a gap: it names this database's system
     * and this slot, the epoch readers were told; the position capture resumes after is one the WAL has reached and
     * not below the slot's confirmed position (the slot is confirmed only up to saved offsets: a slot confirmed past
     * them would have dropped the WAL of rows in between); and neither that position nor the horizon ever goes back
     * from one crash to the next.
     */
    void assertStateIntact() throws Exception {
        Path state = dataDir.resolve("state.json");
        if (!Files.exists(state)) {
            assertFalse(stateWritten, "state.json vanished after a crash");
            return;
        }
        stateWritten = true;
        String text = Files.readString(state);
        JsonNode json = KeepingReader.JSON.readTree(text);
        assertTrue(json != null && json.isObject(), "state.json holds a JSON object after a crash: " + text);
        String system;
        long confirmed;
        long walEnd;
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
                rs.next();
                system = rs.getString(1);
            }
            confirmed = SqlRows.slotConfirmed(c, "kill");
            walEnd = SqlRows.walLsn(c);
        }
        assertEquals(system, json.path("system_id").asText(), "state.json names this database's system: " + text);
        assertEquals("kill", json.path("slot").asText(), "state.json names the slot: " + text);
        String epoch = json.path("epoch").asText();
        assertTrue(epoch.startsWith(system + "-kill-"), "the epoch is <system id>-<slot>-<hex LSN>: " + text);
        String told = reader.epoch();
        if (told != null) {
            assertEquals(told, epoch, "state.json keeps the epoch the reader was told: " + text);
        }
        assertTrue(json.path("horizon").canConvertToLong(), "a horizon: " + text);
        long horizon = json.path("horizon").asLong();
        long resume = -1;
        for (JsonNode offset : json.path("offsets")) {
            JsonNode lsn = KeepingReader.JSON.readTree(offset.asText()).path("lsn");
            assertTrue(lsn.canConvertToLong(), "each saved offset names an lsn: " + text);
            resume = Math.max(resume, lsn.asLong());
        }
        if (resume >= 0) {
            assertTrue(resume <= walEnd, "the saved position " + resume + " is WAL the writer has written (end "
                    + walEnd + "): " + text);
            assertTrue(confirmed <= resume, "the slot (confirmed " + confirmed + ") was not confirmed past the saved"
                    + " position " + resume + ": the WAL in between would be gone: " + text);
        }
        if (lastState != null) {
            assertTrue(resume >= lastState.resume(), "the saved position went back from " + lastState.resume()
                    + " to " + resume + ": " + text);
            assertTrue(horizon >= lastState.horizon(), "the saved horizon went back from " + lastState.horizon()
                    + " to " + horizon + ": " + text);
        }
        lastState = new RelayStateSeen(resume, horizon);
    }

    /** Waits for a progress condition; fails at once if the reader or a writer failed. */
    void await(String what, BooleanSupplier done, Burst burst) throws Exception {
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        while (!done.getAsBoolean()) {
            reader.assertHealthy();
            burst.assertHealthy();
            if (System.nanoTime() > deadline) {
                fail("timed out after " + CATCH_UP.toSeconds() + " s waiting for " + what + "; reader at "
                        + reader.tokens() + " with " + reader.totalRows() + " rows, burst wrote " + burst.rows.get());
            }
            Thread.sleep(50);
        }
        reader.assertHealthy();
    }

    /** One transaction of {@value #LARGE_ROWS} events rows, tagged {@code big}. */
    static void writeLargeTransaction(String url) throws Exception {
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO events (stream_ordering, topological_ordering, event_id, type, room_id, processed,"
                    + " outlier, depth) SELECT nextval('events_stream_seq'), g, '$big.' || g, 'm.room.message',"
                    + " '!big:t', true, false, g FROM generate_series(1, " + LARGE_ROWS + ") g");
            c.commit();
        }
    }

    /** One row on each stream in one transaction, tagged {@code fence}. */
    static void writeFence(String url) throws Exception {
        try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO events (stream_ordering, topological_ordering, event_id, type, room_id, processed,"
                    + " outlier, depth) VALUES (nextval('events_stream_seq'), 1, '$fence.0', 'm.room.message',"
                    + " '!fence:t', true, false, 1)");
            st.execute("INSERT INTO device_lists_stream (stream_id, user_id, device_id)"
                    + " VALUES (nextval('device_lists_sequence'), '@fence:t', 'fence.0')");
            c.commit();
        }
    }

    /** The received rows (sorted) are exactly the database's rows (sorted): a multiset comparison. */
    static void assertSameRows(String stream, List<String> expected, List<String> got) {
        List<String> lost = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < expected.size() || j < got.size()) {
            int c = i == expected.size() ? 1 : j == got.size() ? -1 : expected.get(i).compareTo(got.get(j));
            if (c == 0) {
                i++;
                j++;
            } else if (c < 0) {
                lost.add(expected.get(i++));
            } else {
                extra.add(got.get(j++));
            }
        }
        long duplicated = got.size() - new HashSet<>(got).size();
        if (!lost.isEmpty() || !extra.isEmpty()) {
            fail(stream + ": " + lost.size() + " rows lost, " + extra.size() + " rows not in the database or delivered"
                    + " more than once (" + duplicated + " duplicates); database " + expected.size() + ", received "
                    + got.size() + "; first lost " + lost.subList(0, Math.min(5, lost.size())) + "; first extra "
                    + extra.subList(0, Math.min(5, extra.size())));
        }
    }

    /**
     * Every writer transaction arrived under exactly one position, shared by its rows on both streams, and no two
     * transactions share one: the positions replayed after each crash are the ones delivered before it.
     */
    void assertOnePositionPerTransaction() {
        Map<String, Long> positionOfTag = new HashMap<>();
        Map<Long, String> tagAtPosition = new HashMap<>();
        List<String> violations = new ArrayList<>();
        for (String stream : TAG_FIELDS.keySet()) {
            for (KeepingReader.Received r : reader.rows(stream)) {
                Long p = positionOfTag.putIfAbsent(r.tag(), r.position());
                if (p != null && p != r.position()) {
                    violations.add("transaction " + r.tag() + " at positions " + p + " and " + r.position());
                }
                String t = tagAtPosition.putIfAbsent(r.position(), r.tag());
                if (t != null && !t.equals(r.tag())) {
                    violations.add("transactions " + t + " and " + r.tag() + " share position " + r.position());
                }
            }
        }
        assertTrue(violations.isEmpty(), violations.size() + " violations, first: "
                + violations.subList(0, Math.min(5, violations.size())));
    }

    void dumpOutputs() {
        for (int g = 0; g < generations.size(); g++) {
            try {
                List<String> lines = generations.get(g).output().lines().toList();
                System.err.println("---- relay generation " + (g + 1) + " (pid " + generations.get(g).pid()
                        + "), last 60 of " + lines.size() + " lines:");
                lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.err::println);
            } catch (Exception e) {
                System.err.println("---- relay generation " + (g + 1) + ": output unreadable: " + e);
            }
        }
        try (Stream<Path> files = Files.list(dataDir)) {
            System.err.println("---- data dir " + dataDir + ": " + files.map(p -> p.getFileName().toString()).toList());
        } catch (Exception e) {
            System.err.println("---- data dir unreadable: " + e);
        }
    }

    /**
     * Paced writer threads over plain JDBC: transactions of 1-20 rows, split at random between events and
     * device_lists_stream, until stopped. Every row carries its transaction's tag ({@code w<writer>t<n>}) in
     * event_id / device_id. Counts only committed rows.
     */
    static final class Burst {
        final AtomicLong rows = new AtomicLong();
        final AtomicLong transactions = new AtomicLong();
        private final String url;
        private final int threads;
        private final int rowsPerSecond;
        private final long seed;
        private final ExecutorService pool;
        private final List<Future<?>> jobs = new ArrayList<>();
        private final AtomicReference<Consumer<String>> afterCommit = new AtomicReference<>();
        private volatile boolean stopped;

        Burst(String url, int threads, int rowsPerSecond, long seed) {
            this.url = url;
            this.threads = threads;
            this.rowsPerSecond = rowsPerSecond;
            this.seed = seed;
            this.pool = Executors.newFixedThreadPool(threads);
        }

        void start() {
            for (int w = 0; w < threads; w++) {
                int writer = w;
                jobs.add(pool.submit(() -> {
                    write(writer);
                    return null;
                }));
            }
        }

        /** Runs {@code hook} once, on the writer thread, right after its next commit returns (with the tag). */
        void afterNextCommit(Consumer<String> hook) {
            afterCommit.set(hook);
        }

        private void write(int writer) throws Exception {
            Random rnd = new Random(seed + writer);
            long intervalPerRow = TimeUnit.SECONDS.toNanos(1) * threads / rowsPerSecond;
            try (Connection c = TestPostgres.connect(url);
                 PreparedStatement event = c.prepareStatement("INSERT INTO events (stream_ordering,"
                         + " topological_ordering, event_id, type, room_id, processed, outlier, depth)"
                         + " VALUES (nextval('events_stream_seq'), 1, ?, 'm.room.message', ?, true, false, 1)");
                 PreparedStatement device = c.prepareStatement("INSERT INTO device_lists_stream (stream_id, user_id,"
                         + " device_id) VALUES (nextval('device_lists_sequence'), ?, ?)")) {
                c.setAutoCommit(false);
                long due = System.nanoTime();
                for (long t = 0; !stopped; t++) {
                    String tag = "w" + writer + "t" + t;
                    int n = 1 + rnd.nextInt(20);
                    int events = rnd.nextInt(n + 1);
                    for (int i = 0; i < n; i++) {
                        if (i < events) {
                            event.setString(1, "$" + tag + "." + i);
                            event.setString(2, "!room" + rnd.nextInt(50) + ":t");
                            event.addBatch();
                        } else {
                            device.setString(1, "@user" + rnd.nextInt(500) + ":t");
                            device.setString(2, tag + "." + i);
                            device.addBatch();
                        }
                    }
                    if (events > 0) {
                        event.executeBatch();
                    }
                    if (events < n) {
                        device.executeBatch();
                    }
                    c.commit();
                    rows.addAndGet(n);
                    transactions.incrementAndGet();
                    Consumer<String> hook = afterCommit.getAndSet(null);
                    if (hook != null) {
                        hook.accept(tag);
                    }
                    // pacing; a writer that fell far behind (a slow commit) does not burst to catch up
                    due = Math.max(due + n * intervalPerRow, System.nanoTime() - TimeUnit.SECONDS.toNanos(1));
                    long sleep = due - System.nanoTime();
                    if (sleep > 0) {
                        TimeUnit.NANOSECONDS.sleep(sleep);
                    }
                }
            }
        }

        /** Throws the first writer failure, if any. */
        void assertHealthy() throws Exception {
            for (Future<?> j : jobs) {
                if (j.isDone()) {
                    j.get();
                }
            }
        }

        /** Stops the writers and waits until each has returned from its last commit (or failed). */
        void stop() throws InterruptedException {
            stopped = true;
            pool.shutdown();
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                throw new AssertionError("writers did not stop");
            }
        }
    }
}
