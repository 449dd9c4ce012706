package io.synrep;

import io.synrep.capture.CaptureProgress;
import io.synrep.capture.SchemaWatch;
import io.synrep.capture.WalGuard;
import io.synrep.log.StreamLog;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The relay's runtime policies, on one daemon thread ({@code synrep-ticker}) so that none runs beside another: the
 * log's retention age and the WAL guard every second, the catch-up check every 50 ms, the progress line every 10 s,
 * the schema check every {@value SchemaWatch#CHECK_MILLIS} ms. A periodic task that throws is never run again, which
 * is why the WAL guard and the schema check, which ask the writer, catch their own failures.
 */
final class Ticker implements AutoCloseable {
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "synrep-ticker");
        t.setDaemon(true);
        return t;
    });

    Ticker(StreamLog log, WalGuard guard, CaptureProgress progress, SchemaWatch schema) {
        executor.scheduleAtFixedRate(log::expire, 1, 1, TimeUnit.SECONDS);
        executor.scheduleAtFixedRate(guard::check, 1, 1, TimeUnit.SECONDS);
        executor.scheduleAtFixedRate(progress::checkCaughtUp, 50, 50, TimeUnit.MILLISECONDS);
        executor.scheduleAtFixedRate(progress::report, 10, 10, TimeUnit.SECONDS);
        executor.scheduleAtFixedRate(schema::check, SchemaWatch.CHECK_MILLIS, SchemaWatch.CHECK_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /** Stops the policies; one that is running is interrupted. */
    @Override
    public void close() {
        executor.shutdownNow();
    }
}
