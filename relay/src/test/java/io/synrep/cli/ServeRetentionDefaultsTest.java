package io.synrep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synrep.config.RetentionConfig;
import io.synrep.config.StateConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The documented defaults of {@code serve}'s WAL cap and retention bounds, as {@code serve} resolves them: no option,
 * no {@code SYNREP_*} variable, no configuration file, through the same path {@code serve} takes from its arguments
 * to the records the relay starts with (README, "Retention settings": 1 GiB, 1,000,000 rows, 1 h).
 */
class ServeRetentionDefaultsTest {
    /** What {@code serve} (with nothing set) hands the relay; the data directory is only where state would go. */
    private static ServeCommand.Options resolved(List<String> argv) {
        return ServeCommand.Options.parse(argv, Map.of());
    }

    @Test
    void maxWalHeldDefaultsToOneGibibyte() {
        StateConfig state = resolved(List.of()).state(Path.of("unused"));
        assertEquals(1024L * 1024 * 1024, state.maxWalHeld());
    }

    @Test
    void retentionDefaultsToAMillionRowsAndOneHour() {
        RetentionConfig retention = resolved(List.of()).retention();
        assertEquals(1_000_000, retention.maxRows());
        assertEquals(Duration.ofHours(1), retention.maxAge());
    }

    /** The defaults are what is left when nothing is set: a value given wins (so the test above reads defaults). */
    @Test
    void givenValuesReplaceTheDefaults() {
        ServeCommand.Options o = resolved(List.of("--max-wal-held", "4096", "--retention-rows", "7",
                "--retention-age", "5m"));
        assertEquals(4096, o.state(Path.of("unused")).maxWalHeld());
        assertEquals(7, o.retention().maxRows());
        assertEquals(Duration.ofMinutes(5), o.retention().maxAge());
    }
}
