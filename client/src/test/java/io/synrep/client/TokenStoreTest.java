package io.synrep.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenStoreTest {
    @TempDir
    Path dir;

    private static final Tokens SOME = new Tokens("7312345678901234567/synrep_slot",
            Map.of("events", "23924640", "receipts", "23924641"));

    @Test
    void memoryStoreStartsEmptyAndKeepsTheLastSave() {
        TokenStore store = TokenStore.inMemory();
        assertEquals(Optional.empty(), store.load());
        store.save(SOME);
        assertEquals(Optional.of(SOME), store.load());
        Tokens next = new Tokens("e2", Map.of("events", "1"));
        store.save(next);
        assertEquals(Optional.of(next), store.load());
        assertEquals(Optional.empty(), TokenStore.inMemory().load(), "each memory store is its own");
    }

    @Test
    void fileStoreRoundTrip() {
        Path file = dir.resolve("state/reader/tokens.json"); // parents are created
        TokenStore store = TokenStore.file(file);
        assertEquals(Optional.empty(), store.load(), "no file yet: nothing saved");
        store.save(SOME);
        assertTrue(Files.exists(file));
        assertEquals(Optional.of(SOME), store.load());
        assertEquals(Optional.of(SOME), TokenStore.file(file).load(), "another store over the same file, as after a restart");

        Tokens symbolic = new Tokens(null, Map.of("events", "-1", "caches", "now"));
        store.save(symbolic);
        assertEquals(Optional.of(symbolic), TokenStore.file(file).load());
        assertEquals(-1, symbolic.position());
        assertEquals(23924640, SOME.position());
    }

    @Test
    void fileStoreReplacesThroughATemporaryFileAndLeavesNoneBehind() throws Exception {
        Path file = dir.resolve("tokens.json");
        Path tmp = dir.resolve("tokens.json.tmp");
        TokenStore store = TokenStore.file(file);
        store.save(SOME);
        assertFalse(Files.exists(tmp), "the temporary file was renamed over the real one");

        // a crash between writing the temporary file and renaming it leaves a damaged .tmp: it does not matter
        Files.writeString(tmp, "{\"epoch\":\"x\",\"tok");
        assertEquals(Optional.of(SOME), TokenStore.file(file).load());
        Tokens next = new Tokens(SOME.epoch(), Map.of("events", "23924700", "receipts", "23924700"));
        TokenStore.file(file).save(next);
        assertEquals(Optional.of(next), TokenStore.file(file).load());
        assertFalse(Files.exists(tmp));

        // a longer leftover .tmp is truncated, not overwritten in part
        Files.writeString(tmp, " ".repeat(10_000) + "garbage");
        Tokens small = new Tokens(null, Map.of("events", "5"));
        store.save(small);
        assertEquals(Optional.of(small), store.load());
    }

    /**
     * A save stopped half-way through its bytes (held there by a latch) is invisible: another store reading the
     * file meanwhile finds the previous tokens, whole; once the save ends it finds the new ones. A store writing the
     * file in place would show the half-written JSON here.
     */
    @Test
    void aReaderDuringASaveSeesTheOldTokensWholeNeverAPart() throws Exception {
        Path file = dir.resolve("tokens.json");
        TokenStore.file(file).save(SOME);
        byte[] before = Files.readAllBytes(file);
        CountDownLatch halfWritten = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        FileTokenStore held = new FileTokenStore(file, (out, content) -> {
            out.write(content, 0, content.length / 2);
            out.flush();
            halfWritten.countDown();
            awaitQuietly(finish);
            out.write(content, content.length / 2, content.length - content.length / 2);
        });
        Tokens next = new Tokens(SOME.epoch(), Map.of("events", "23999999", "receipts", "23999998"));
        ExecutorService saver = Executors.newSingleThreadExecutor();
        try {
            Future<?> save = saver.submit(() -> held.save(next));
            assertTrue(halfWritten.await(10, TimeUnit.SECONDS), "the save reached its half-way point");
            assertArrayEquals(before, Files.readAllBytes(file), "the file is untouched while a save is under way");
            assertEquals(Optional.of(SOME), TokenStore.file(file).load(), "a reader meanwhile gets the old tokens");
            finish.countDown();
            save.get(10, TimeUnit.SECONDS);
        } finally {
            finish.countDown();
            saver.shutdownNow();
        }
        assertEquals(Optional.of(next), TokenStore.file(file).load(), "after the save, the new tokens");
    }

    /** A save that dies half-way (a crash after writing part of the bytes) leaves the previous tokens, whole. */
    @Test
    void aSaveThatDiesHalfWayLeavesThePreviousTokens() throws Exception {
        Path file = dir.resolve("tokens.json");
        TokenStore.file(file).save(SOME);
        FileTokenStore dying = new FileTokenStore(file, (out, content) -> {
            out.write(content, 0, content.length / 2);
            out.flush();
            throw new java.io.IOException("simulated crash half-way through the save");
        });
        Tokens next = new Tokens(SOME.epoch(), Map.of("events", "23999999", "receipts", "23999998"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> dying.save(next));
        assertTrue(e.getMessage().contains("simulated crash"), e.getMessage());
        assertEquals(Optional.of(SOME), TokenStore.file(file).load(), "the next run resumes from the previous tokens");
        TokenStore.file(file).save(next);
        assertEquals(Optional.of(next), TokenStore.file(file).load(), "and saves again over the leftover");
    }

    /**
     * A reader stopped while it saves (its thread interrupted, as {@code ReplicationClient.close} does on SIGTERM)
     * still saves: otherwise the rows it had just handled would be handled again after the restart.
     */
    @Test
    void aSaveOnAnInterruptedThreadStillSaves() {
        Path file = dir.resolve("tokens.json");
        TokenStore store = TokenStore.file(file);
        store.save(SOME);
        Tokens next = new Tokens(SOME.epoch(), Map.of("events", "23999999", "receipts", "23999998"));
        Thread.currentThread().interrupt();
        try {
            store.save(next);
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is left for the caller to see");
        } finally {
            Thread.interrupted();
        }
        assertEquals(Optional.of(next), TokenStore.file(file).load());
    }

    private static void awaitQuietly(CountDownLatch latch) throws java.io.IOException {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new java.io.IOException("the test never released the save");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "{\"epoch\":\"x\",\"tok",
        "not json",
        "[]",
        "{\"epoch\":\"x\"}",
        "{\"tokens\":null}",
        "{\"tokens\":[1,2]}",
        "{\"tokens\":{\"events\":{\"a\":1}}}",
        "{\"tokens\":{\"events\":\"abc\"}}",
        "{\"tokens\":{\"events\":null}}",
        "{\"tokens\":{\"events\":1.5}}",
    })
    void damagedFileIsAClearErrorNotAFreshStart(String content) throws Exception {
        Path file = dir.resolve("tokens.json");
        Files.writeString(file, content);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> TokenStore.file(file).load());
        assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("move the file away"), e.getMessage());
    }

    @Test
    void fileThatIsNotUtf8IsAClearError() throws Exception {
        Path file = dir.resolve("tokens.json");
        Files.write(file, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> TokenStore.file(file).load());
        assertTrue(e.getMessage().contains("tokens.json"), e.getMessage());
    }

    @Test
    void numericTokensWrittenByHandAreAccepted() throws Exception {
        Path file = dir.resolve("tokens.json");
        Files.write(file, "{\"epoch\":null,\"tokens\":{\"events\":42,\"receipts\":\"now\"}}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(Optional.of(new Tokens(null, Map.of("events", "42", "receipts", "now"))),
                TokenStore.file(file).load());
    }

    @Test
    void aSaveThatCannotWriteFailsLoudly() throws Exception {
        Path blocker = dir.resolve("not-a-dir");
        Files.writeString(blocker, "x");
        TokenStore store = TokenStore.file(blocker.resolve("tokens.json"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> store.save(SOME));
        assertTrue(e.getMessage().contains("cannot save reader tokens"), e.getMessage());
    }

    @Test
    void jsonFormIsStable() throws Exception {
        assertEquals("{\"epoch\":\"e\",\"tokens\":{\"events\":\"2\",\"receipts\":\"1\"}}",
                TokensJson.write(new Tokens("e", Map.of("receipts", "1", "events", "2"))));
        assertEquals(new Tokens(null, Map.of()), TokensJson.read("{\"epoch\":null,\"tokens\":{}}"));
    }
}
