package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synrep.config.StateConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@code serve} starts and keeps its state, from each source ({@code --start-lsn}, {@code --offset-store}),
 * parsed into the {@link StateConfig} that {@code serve} hands {@code Relay.start}.
 */
class ServeStartOptionsTest {
    /** 0/16B3748 as a number: PostgreSQL's LSN text is two hexadecimal halves. */
    private static final long LSN = 0x16B3748L;

    @TempDir
    Path dir;

    private StateConfig state(List<String> argv, Map<String, String> env) {
        return ServeCommand.Options.parse(argv, env).state(dir);
    }

    private Path file(String line) throws IOException {
        return Files.writeString(dir.resolve("synrep.conf"), line + "\n");
    }

    @Test
    void startLsnReachesTheStateConfigurationFromEachSource() throws IOException {
        assertNull(state(List.of(), Map.of()).startLsn(), "no replay unless asked");
        assertEquals(LSN, state(List.of("--start-lsn", "0/16B3748"), Map.of()).startLsn());
        assertEquals(LSN, state(List.of(), Map.of("SYNREP_START_LSN", "0/16b3748")).startLsn());
        assertEquals(LSN, state(List.of(), Map.of("SYNREP_CONFIG", file("start-lsn = 0/16B3748").toString()))
                .startLsn());
        assertEquals(0x1_0000_0000L + 5, state(List.of("--start-lsn", "1/5"), Map.of("SYNREP_START_LSN", "0/1"))
                .startLsn(), "the command line wins over the environment; the high half counts");
        assertEquals(LSN, state(List.of("--start-lsn", Long.toString(LSN)), Map.of()).startLsn(), "or an integer");
        UsageException bad = assertThrows(UsageException.class,
                () -> state(List.of(), Map.of("SYNREP_START_LSN", "0/XYZ")));
        assertEquals("serve: SYNREP_START_LSN must be a WAL position like 0/16B3748 or an integer, was '0/XYZ'",
                bad.getMessage());
    }

    @Test
    void offsetStoreSelectsTheStore() throws IOException {
        assertEquals(StateConfig.Store.FILE, state(List.of(), Map.of()).store(), "the default");
        assertEquals(StateConfig.Store.TABLE, state(List.of("--offset-store", "table"), Map.of()).store());
        assertEquals(StateConfig.Store.TABLE, state(List.of(), Map.of("SYNREP_OFFSET_STORE", "table")).store());
        Path f = file("offset-store = table");
        assertEquals(StateConfig.Store.TABLE, state(List.of("--config", f.toString()), Map.of()).store());
        assertEquals(StateConfig.Store.FILE, state(List.of("--offset-store", "file", "--config", f.toString()),
                Map.of()).store(), "the command line wins over the file");
        UsageException bad = assertThrows(UsageException.class,
                () -> state(List.of("--config", file("offset-store = tabel").toString()), Map.of()));
        assertTrue(bad.getMessage().startsWith("serve: offset-store (" + f + ":1) must be file or table, was 'tabel'"),
                bad.getMessage());
    }
}
