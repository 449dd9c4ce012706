package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.synrep.it.WorkerReads.Answer;
import io.synrep.it.WorkerReads.Kind;
import io.synrep.it.WorkerReads.Query;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Multi-process consistency: a writer (JDBC, several threads) performs at least {@value #OPERATIONS} randomized,
 * versioned Synapse-style writes while two {@code synrep worker} processes serve reads of the very keys being
 * written; every answer, which carries the position P its worker had reached before the read began, must reflect
 * every write committed at or before P.
 *
 * <p>The positions of the writes come from the test's own reader of the relay ({@link WorkerTap}); what each write
 * did comes from the writer's log ({@link WorkerWrites}); the answers are checked after the fact
 * ({@link WorkerTruth}). Some reader threads read random keys; others chase the newest row the test's reader has
 * just received and ask both workers for the key it changed, right when they pass its position (where a worker
 * whose position runs ahead of what the database shows is caught: PostgreSQL lets the slot decode a commit before
 * the transaction is visible, which the relay must wait out). Random readers also compare some account data answers
 * with a direct database read taken right after (never newer than the database). When the writer is done, each
 * worker, once past the last commit, must answer every key exactly as the database does.
 *
 * <p>Prints a {@code FIGURES} line: operations, answers and key checks, violations (must be 0).
 *
 * <p>This class runs on the seed-era schema; {@link WorkerConsistencyCurrentIT} runs the same check ({@link #run})
 * on current Synapse's.
 */
class WorkerConsistencyIT {
    static final int OPERATIONS = 10_000;
    /** Pace of the writer, all threads together: the run lasts about 25 s however fast the machine is. */
    static final int OPERATIONS_PER_SECOND = 400;
    static final int WRITER_THREADS = 4;
    /** Threads reading random keys of the writer's. */
    static final int READER_THREADS = 3;
    /**
     * Threads reading, from both workers, the key of the newest row the test's own relay reader has just received:
     * right when a worker passes a write's position, where a worker that runs ahead of the database is caught.
     */
    static final int CHASER_THREADS = 2;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyAnswerReflectsEveryWriteCommittedAtOrBeforeItsPosition() throws Exception {
        run(WorkerSchema.SEED);
    }

    /** The whole check on a database of {@code schema}. */
    static void run(WorkerSchema schema) throws Exception {
        long seed = Long.getLong("synrep.worker.seed", System.nanoTime());
        String name = schema == WorkerSchema.SEED ? "WorkerConsistencyIT" : "WorkerConsistencyCurrentIT";
        System.out.println(name + ": seed " + seed + " (rerun with -Dsynrep.worker.seed=" + seed + ")");
        String url = schema.freshDatabase(schema == WorkerSchema.SEED ? "wcons" : "wconscur");
        String slot = SqlRows.dbName(url);
        Path dir = Files.createTempDirectory("synrep-wcons");
        long t0 = System.nanoTime();
        RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), List.of("--pg-url", url, "--slot", slot,
                "--publication", slot, "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("relay").toString(),
                "--heartbeat", "200ms"));
        List<WorkerProcess> workers = new ArrayList<>();
        WorkerTap tap = null;
        try {
            tap = new WorkerTap(relay.base(), "-1", false, schema.streams).start();
            for (int i = 0; i < 2; i++) {
                workers.add(WorkerProcess.launch(WorkerProcess.JVM, List.of("--relay", relay.base(), "--pg-url", url,
                        "--listen", "127.0.0.1:0", "--name", "cons" + i, "--tokens",
                        dir.resolve("cons" + i + ".tokens.json").toString(), "--from", "-1",
                        "--poll-timeout", "1s", "--pool-size", "4")));
            }
            for (WorkerProcess w : workers) {
                w.awaitServingOrFail();
                w.awaitReading(Duration.ofSeconds(60));
                assertEquals(schema == WorkerSchema.SEED ? "synapse-seed" : "synapse-current",
                        w.get("/health", 200).path("schema").asText(), "the worker reads the schema's tables");
            }
            long started = System.nanoTime();

            WorkerWrites writes = new WorkerWrites(url, WRITER_THREADS, schema);
            AtomicReference<Throwable> readerFailure = new AtomicReference<>();
            ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
            AtomicLong dbChecks = new AtomicLong();
            List<String> dbViolations = Collections.synchronizedList(new ArrayList<>());
            AtomicLong positionsBackwards = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < READER_THREADS; t++) {
                Random random = new Random(seed * 7 + t);
                Thread th = new Thread(() -> {
                    WorkerReads reads = new WorkerReads(schema);
                    long[] last = new long[workers.size()];
                    try (Connection db = TestPostgres.connect(url)) {
                        while (!stop.get()) {
                            int w = random.nextInt(workers.size());
                            Query q = WorkerReads.randomQuery(random, writes, last[w] - random.nextInt(20_000));
                            Answer a = reads.read(w, workers.get(w).base(), q);
                            if (a.position() < last[w]) {
                                positionsBackwards.incrementAndGet();
                            }
                            last[w] = Math.max(last[w], a.position());
                            answers.add(a);
                            // never newer than the database: a direct read right after the answer
                            if (q.kind() == Kind.AD_ONE && random.nextInt(3) == 0) {
                                Long now = (Long) WorkerReads.fromDatabase(db, q, schema);
                                Long answered = (Long) a.observed();
                                dbChecks.incrementAndGet();
                                if (answered != null && (now == null || answered > now)) {
                                    dbViolations.add(q + ": worker answered version " + answered
                                            + ", the database has " + now);
                                }
                            }
                        }
                    } catch (Throwable e) {
                        readerFailure.compareAndSet(null, e);
                    }
                }, "worker-it-reader-" + t);
                th.setDaemon(true);
                readers.add(th);
                th.start();
            }

            AtomicLong chased = new AtomicLong();
            WorkerTap chase = tap;
            for (int t = 0; t < CHASER_THREADS; t++) {
                int first = t % workers.size();
                Thread th = new Thread(() -> {
                    WorkerReads reads = new WorkerReads(schema);
                    try {
                        while (!stop.get()) {
                            WorkerTap.TapRow row = chase.takeNewest();
                            Query q = row == null ? null : WorkerReads.queryFor(row);
                            if (q == null) {
                                Thread.sleep(1);
                                continue;
                            }
                            for (int i = 0; i < workers.size(); i++) {
                                int w = (first + i) % workers.size();
                                answers.add(reads.read(w, workers.get(w).base(), q));
                                chased.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        readerFailure.compareAndSet(null, e);
                    }
                }, "worker-it-chaser-" + t);
                th.setDaemon(true);
                readers.add(th);
                th.start();
            }

            writes.start(OPERATIONS, OPERATIONS_PER_SECOND, () -> readerFailure.get() != null, seed);
            writes.await();
            long wroteNanos = System.nanoTime() - started;
            Thread.sleep(500); // reads go on a little after the last commit
            stop.set(true);
            for (Thread th : readers) {
                th.join(30_000);
            }
            if (readerFailure.get() != null) {
                throw new AssertionError("reader failed", readerFailure.get());
            }

            // the test's reader must have every write's position, and be past every answer's position
            long lastCommit;
            try (Connection c = TestPostgres.connect(url)) {
                lastCommit = WorkerTap.fence(relay.base(), c);
            }
            long maxAnswered = answers.stream().mapToLong(Answer::position).max().orElse(0);
            tap.awaitPosition(Math.max(lastCommit, maxAnswered), Duration.ofSeconds(60));
            tap.assertHealthy();

            List<WorkerWrites.Write> log = writes.writes();
            WorkerTruth truth = new WorkerTruth(log, tap.rows(), true, schema);
            for (Answer a : answers) {
                truth.check(a);
            }

            // once past the last commit, each worker answers every key as the database does
            List<String> mismatches = new ArrayList<>();
            int compared = 0;
            try (Connection c = TestPostgres.connect(url)) {
                for (int i = 0; i < workers.size(); i++) {
                    workers.get(i).awaitPosition(lastCommit, Duration.ofSeconds(60));
                    List<Query> all = WorkerReads.allQueries(writes.redactedEvents());
                    compared += all.size();
                    mismatches.addAll(new WorkerReads(schema).compareWithDatabase(i, workers.get(i).base(), c,
                            writes.redactedEvents()));
                }
            }
            List<JsonNode> status = new ArrayList<>();
            long[] cacheFigures = new long[3]; // hits, loads, loads not cached because an invalidation raced them
            for (WorkerProcess w : workers) {
                status.add(w.position());
                for (JsonNode c : w.get("/caches", 200).path("caches")) {
                    cacheFigures[0] += c.path("hits").asLong();
                    cacheFigures[1] += c.path("loads").asLong();
                    cacheFigures[2] += c.path("discarded_loads").asLong();
                }
            }

            long rows = tap.rows().size();
            System.out.printf("FIGURES worker consistency" + (schema == WorkerSchema.SEED ? "" : " (synapse-current)")
                            + ": %d operations (%d writer threads at %d/s, %.1f s, %d"
                            + " retried), %d stream rows; 2 worker processes; %d answers checked (%d chasing fresh rows; %s; %d"
                            + " 'not changed since'), %d key checks (%d against a non-empty history at P, %d answered"
                            + " newer than P), %d direct database comparisons during the run, %d after it; violations"
                            + " found: %d (+ %d database, %d history problems, %d final mismatches, %d positions going"
                            + " backwards); caches: %d hits, %d loads, %d loads raced by an invalidation (not cached);"
                            + " worker status %s; whole run %.1f s%n",
                    writes.ops.get(), WRITER_THREADS, OPERATIONS_PER_SECOND, wroteNanos / 1e9, writes.retries.get(),
                    rows, truth.answers, chased.get(), truth.answersByKind, truth.notChanged, truth.keyChecks,
                    truth.nonTrivialChecks, truth.newerThanP, dbChecks.get(), compared, truth.violations.size(),
                    dbViolations.size(), truth.problems.size(), mismatches.size(), positionsBackwards.get(),
                    cacheFigures[0], cacheFigures[1], cacheFigures[2], status, (System.nanoTime() - t0) / 1e9);
            assertTrue(writes.ops.get() >= OPERATIONS, "operations: " + writes.ops.get());
            assertEquals(List.of(), head(truth.problems), "the history (writer log + relay rows)");
            assertEquals(List.of(), head(truth.violations), "answers older than their position");
            assertEquals(List.of(), head(dbViolations), "answers newer than the database");
            assertEquals(List.of(), head(mismatches), "final answers that differ from the database");
            assertEquals(0, positionsBackwards.get(), "a worker's position went backwards");
            assertTrue(truth.answers >= 2_000, "too few answers to mean anything: " + truth.answers);
            assertTrue(truth.nonTrivialChecks >= truth.keyChecks / 4,
                    "most checks should be against a non-empty history: " + truth.nonTrivialChecks);
            for (JsonNode s : status) {
                assertEquals(0, s.get("resyncs").asLong(), "no resync in this run: " + s);
            }
            for (Kind k : Kind.values()) {
                assertTrue(truth.answersByKind.getOrDefault(k, 0L) > 0, "no answer of kind " + k);
            }
            assertTrue(truth.notChanged > 0, "some 'changed since' answers said no (only those can be wrong)");
        } catch (Throwable t) {
            System.out.println("relay output:\n" + relay.output());
            for (WorkerProcess w : workers) {
                System.out.println("worker output:\n" + w.output());
            }
            throw t;
        } finally {
            if (tap != null) {
                tap.close();
            }
            for (WorkerProcess w : workers) {
                w.close();
            }
            relay.close();
            SqlRows.dropSlotQuietly(url, slot);
            FaultsIT.deleteRecursively(dir);
        }
    }

    static List<String> head(List<String> all) {
        return all.size() <= 20 ? List.copyOf(all) : List.copyOf(all.subList(0, 20));
    }
}
