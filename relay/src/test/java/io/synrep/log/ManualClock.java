package io.synrep.log;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock for tests that only moves when stepped: retention and timeouts without sleeping. */
public final class ManualClock implements InstantSource {
    private volatile long millis = 1_700_000_000_000L;

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
        return millis;
    }

    public void step(Duration d) {
        millis += d.toMillis();
    }
}
