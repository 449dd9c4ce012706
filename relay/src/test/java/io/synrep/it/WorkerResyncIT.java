package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.synrep.it.WorkerReads.Query;
import io.synrep.it.WorkerWrites.Write;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code synrep worker} process that loses track of the streams resyncs: it drops its caches, continues, and
 * serves correct data, including for keys it had cached before and that changed while it could not follow.
 * <ol>
 *   <li>Retention exceeded: the relay keeps only {@value #RETENTION_ROWS} rows; the worker is frozen (SIGSTOP) with
 *       warm caches while far more rows are written, then resumed: its tokens are too old (410), it resyncs, and
 *       every answer equals the database. Then it is stopped (SIGTERM) and, after more writes past retention,
 *       restarted from its saved (now too old) tokens: it resyncs at once and again answers as the database does.</li>
 *   <li>Epoch change: the relay's slot is dropped under it (walsender terminated, slot dropped); the relay recreates
 *       the slot under a new epoch. Writes committed right after the drop, before the new slot exists, are in no
 *       stream at all; the worker's cached values of the keys they changed must not survive the resync.</li>
 * </ol>
 * "Equals the database" is checked over every key the writer writes ({@link WorkerReads#compareWithDatabase}),
 * once the worker's position is past the writer's last commit.
 */
class WorkerResyncIT {
    static final int RETENTION_ROWS = 300;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void workerBeyondRetentionResyncsAndServesCorrectData() throws Exception {
        String url = TestPostgres.freshDatabase("wretain");
        String slot = SqlRows.dbName(url);
        Path dir = Files.createTempDirectory("synrep-wretain");
        RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), List.of("--pg-url", url, "--slot", slot,
                "--publication", slot, "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("relay").toString(),
                "--heartbeat", "200ms", "--retention-rows", Integer.toString(RETENTION_ROWS)));
        List<String> workerArgs = List.of("--relay", relay.base(), "--pg-url", url, "--listen", "127.0.0.1:0",
                "--name", "retain", "--tokens", dir.resolve("retain.tokens.json").toString(), "--from", "-1",
                "--poll-timeout", "1s", "--pool-size", "4");
        WorkerProcess worker = WorkerProcess.start(workerArgs);
        WorkerProcess restarted = null;
        WorkerReads reads = new WorkerReads();
        WorkerWrites writes = new WorkerWrites(url, 3);
        try (Connection db = TestPostgres.connect(url)) {
            worker.awaitReading(Duration.ofSeconds(60));
            write(writes, 500);
            worker.awaitPosition(WorkerTap.fence(relay.base(), db), Duration.ofSeconds(60));
            assertEquals(List.of(), reads.compareWithDatabase(0, worker.base(), db, writes.redactedEvents()));
            Map<Query, Object> warm = reads.observeAll(0, worker.base(), writes.redactedEvents()); // cached now
            JsonNode before = worker.position();
            assertEquals(0, before.get("resyncs").asLong(), before.toString());

            // 1. frozen while the relay's retention moves far past its tokens
            worker.pause();
            write(writes, 2_000);
            long afterFreeze = WorkerTap.fence(relay.base(), db);
            worker.resume();
            JsonNode resumed = worker.awaitPosition(afterFreeze, Duration.ofSeconds(60));
            assertTrue(resumed.get("resyncs").asLong() >= 1, "the worker resynced: " + resumed);
            assertEquals(before.get("epoch").asText(), resumed.get("epoch").asText(), "same WAL history");
            Map<Query, Object> now = reads.observeAll(0, worker.base(), writes.redactedEvents());
            int changed = changed(warm, now);
            assertTrue(changed >= 50, "many cached answers changed while the worker was frozen: " + changed);
            assertEquals(List.of(), reads.compareWithDatabase(0, worker.base(), db, writes.redactedEvents()),
                    "after the resync every answer equals the database");
            // and rows after the resync invalidate as usual
            write(writes, 300);
            worker.awaitPosition(WorkerTap.fence(relay.base(), db), Duration.ofSeconds(60));
            assertEquals(List.of(), reads.compareWithDatabase(0, worker.base(), db, writes.redactedEvents()));
            long resyncsFrozen = worker.position().get("resyncs").asLong();

            // 2. stopped, then restarted from saved tokens the relay no longer retains
            warm = reads.observeAll(0, worker.base(), writes.redactedEvents());
            assertCleanExit(worker.stop(), worker);
            String saved = Files.readString(dir.resolve("retain.tokens.json"));
            write(writes, 2_000);
            long afterStop = WorkerTap.fence(relay.base(), db);
            restarted = WorkerProcess.start(workerArgs);
            JsonNode again = restarted.awaitPosition(afterStop, Duration.ofSeconds(60));
            assertTrue(again.get("resyncs").asLong() >= 1, "restarted from old tokens, it resynced: " + again
                    + " (saved tokens " + saved + ")");
            int changedWhileDown = changed(warm, reads.observeAll(0, restarted.base(), writes.redactedEvents()));
            assertEquals(List.of(), reads.compareWithDatabase(0, restarted.base(), db, writes.redactedEvents()));
            write(writes, 300);
            restarted.awaitPosition(WorkerTap.fence(relay.base(), db), Duration.ofSeconds(60));
            assertEquals(List.of(), reads.compareWithDatabase(0, restarted.base(), db, writes.redactedEvents()));

            System.out.printf("FIGURES worker resync (retention %d rows): %d operations; frozen worker resynced %d"
                            + " time(s), %d of %d answers had changed, all equal to the database after; restarted"
                            + " from tokens older than retention: resynced %d time(s), %d answers changed while"
                            + " down, all equal to the database%n", RETENTION_ROWS, writes.ops.get(), resyncsFrozen,
                    changed, warm.size(), again.get("resyncs").asLong(), changedWhileDown);
        } catch (Throwable t) {
            dump(relay, worker, restarted);
            throw t;
        } finally {
            if (restarted != null) {
                restarted.close();
            }
            worker.close();
            relay.close();
            SqlRows.dropSlotQuietly(url, slot);
            FaultsIT.deleteRecursively(dir);
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void workerResyncsOnANewEpochAndServesNoValueCachedBeforeIt() throws Exception {
        String url = TestPostgres.freshDatabase("wepoch");
        String slot = SqlRows.dbName(url);
        Path dir = Files.createTempDirectory("synrep-wepoch");
        RelayProcess relay = RelayProcess.start(List.of("-Xmx512m"), List.of("--pg-url", url, "--slot", slot,
                "--publication", slot, "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("relay").toString(),
                "--heartbeat", "200ms"));
        WorkerProcess worker = WorkerProcess.start(List.of("--relay", relay.base(), "--pg-url", url, "--listen",
                "127.0.0.1:0", "--name", "epoch", "--tokens", dir.resolve("epoch.tokens.json").toString(), "--from",
                "-1", "--poll-timeout", "1s", "--pool-size", "4"));
        WorkerTap tap = new WorkerTap(relay.base(), "-1", true).start();
        WorkerReads reads = new WorkerReads();
        WorkerWrites writes = new WorkerWrites(url, 3);
        try (Connection db = TestPostgres.connect(url)) {
            worker.awaitReading(Duration.ofSeconds(60));
            write(writes, 600);
            worker.awaitPosition(WorkerTap.fence(relay.base(), db), Duration.ofSeconds(60));
            assertEquals(List.of(), reads.compareWithDatabase(0, worker.base(), db, writes.redactedEvents()));
            Map<Query, Object> warm = reads.observeAll(0, worker.base(), writes.redactedEvents()); // cached now
            JsonNode before = worker.position();
            String oldEpoch = before.get("epoch").asText();
            int writtenBefore = writes.writes().size();

            // the slot goes away under the relay; writes follow at once, before the relay has a new slot
            int attempts = FaultsIT.dropSlot(url, slot);
            write(writes, 300);

            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            JsonNode p = worker.position();
            while (p.get("epoch").asText().equals(oldEpoch)) {
                assertTrue(System.nanoTime() < deadline, "the worker did not move to a new epoch: " + p);
                Thread.sleep(100);
                p = worker.position();
            }
            // the new slot exists (the worker has read from it): a fence now is in the new history
            long afterDrop = WorkerTap.fence(relay.base(), db);
            p = worker.awaitPosition(afterDrop, Duration.ofSeconds(60));
            String newEpoch = p.get("epoch").asText();
            assertNotEquals(oldEpoch, newEpoch);
            assertTrue(p.get("resyncs").asLong() >= 1, "the worker resynced: " + p);

            // which writes no stream will ever carry (committed between the drop and the new slot)
            tap.awaitPosition(afterDrop, Duration.ofSeconds(60));
            Set<String> delivered = new HashSet<>();
            tap.rows().forEach(r -> delivered.add(r.stream() + "#" + r.id()));
            List<Write> all = writes.writes();
            List<Write> lost = all.subList(writtenBefore, all.size()).stream()
                    .filter(w -> !delivered.contains(w.stream() + "#" + w.id())).toList();
            assertTrue(all.subList(0, writtenBefore).stream().allMatch(w -> delivered.contains(w.stream() + "#"
                    + w.id())), "every write before the drop was delivered");
            assertTrue(!lost.isEmpty(), "some writes fell between the drop and the new slot (else this test shows"
                    + " nothing about values cached before the new epoch)");

            Map<Query, Object> now = reads.observeAll(0, worker.base(), writes.redactedEvents());
            int changed = changed(warm, now);
            assertEquals(List.of(), reads.compareWithDatabase(0, worker.base(), db, writes.redactedEvents()),
                    "after the new epoch every answer equals the database, also for keys only lost writes changed");
            // and writes of the new epoch are followed as usual
            write(writes, 300);
            worker.awaitPosition(WorkerTap.fence(relay.base(), db), Duration.ofSeconds(60));
            assertEquals(List.of(), reads.compareWithDatabase(0, worker.base(), db, writes.redactedEvents()));
            assertEquals(newEpoch, worker.position().get("epoch").asText());

            System.out.printf("FIGURES worker epoch change: %d operations; slot dropped in %d attempt(s); %d writes"
                            + " committed before the new slot (in no stream); worker resynced %d time(s) into epoch"
                            + " %s; %d of %d cached answers had changed, all equal to the database after%n",
                    writes.ops.get(), attempts, lost.size(), p.get("resyncs").asLong(), newEpoch, changed, warm.size());
        } catch (Throwable t) {
            dump(relay, worker, null);
            throw t;
        } finally {
            tap.close();
            worker.close();
            relay.close();
            SqlRows.dropSlotQuietly(url, slot);
            FaultsIT.deleteRecursively(dir);
        }
    }

    /** Writes {@code n} more operations and waits for them. */
    static void write(WorkerWrites writes, int n) throws InterruptedException {
        writes.start(writes.ops.get() + n, () -> false, System.nanoTime());
        writes.await();
    }

    /** Ended by SIGTERM through its shutdown hook: status 0 or 143 (128 + SIGTERM), no stack trace. */
    static void assertCleanExit(int status, WorkerProcess w) throws Exception {
        assertTrue(status == 0 || status == 143, "exit status " + status + ": " + w.output());
        assertTrue(!w.output().contains("Exception"), w.output());
    }

    static int changed(Map<Query, Object> before, Map<Query, Object> after) {
        int n = 0;
        for (Map.Entry<Query, Object> e : before.entrySet()) {
            if (!Objects.equals(e.getValue(), after.get(e.getKey()))) {
                n++;
            }
        }
        return n;
    }

    static void dump(RelayProcess relay, WorkerProcess... workers) throws Exception {
        System.out.println("relay output:\n" + relay.output());
        for (WorkerProcess w : workers) {
            if (w != null) {
                System.out.println("worker output:\n" + w.output());
            }
        }
    }
}
