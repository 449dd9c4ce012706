package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.javalin.Javalin;
import io.synrep.config.HttpConfig;
import io.synrep.config.RetentionConfig;
import io.synrep.log.StreamLog;
import io.synrep.log.Transaction;
import io.synrep.protocol.RowEncoder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** A real {@link StreamLog} served by a real {@link HttpApi} on a free port, for the hardening tests. */
final class ServedLog implements AutoCloseable {
    static final String EPOCH = "7312345678901234567/synrep_sec_slot";
    static final Map<String, List<String>> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("events", List.of("stream_ordering", "event_id", "room_id", "type", "state_key", "redacts"));
        FIELDS.put("receipts", List.of("stream_id", "room_id", "receipt_type", "user_id", "event_id", "data"));
    }

    final StreamLog log;
    final Javalin app;
    final HttpConfig config;
    private final RowEncoder encoder = new RowEncoder();
    private PollHandler poll;

    ServedLog(HttpConfig config, long start) {
        this(config, start, Long.MAX_VALUE / 2);
    }

    /** @param writer the writer's position the relay reports (tokens past it are ahead of the writer) */
    ServedLog(HttpConfig config, long start, long writer) {
        this.config = config;
        log = new StreamLog(FIELDS.keySet(), new RetentionConfig(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofDays(1)),
                Clock.systemUTC());
        log.start(start);
        RelayStatus status = new RelayStatus() {
            @Override
            public boolean streaming() {
                return true;
            }

            @Override
            public String epoch() {
                return EPOCH;
            }

            @Override
            public OptionalLong writerPosition(long atLeast) {
                return OptionalLong.of(writer);
            }

            @Override
            public String describe() {
                return "test relay";
            }
        };
        app = HttpApi.create(log, FIELDS, config, status, p -> poll = p).start();
    }

    int port() {
        return app.port();
    }

    int waiting() {
        return poll.waiting();
    }

    /** Appends one transaction of {@code n} events at {@code position}, event ids {@code $<position>_<i>}. */
    void appendEvents(long position, int n) {
        List<byte[]> tails = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tails.add(encoder.encodeTail(new Object[] {(long) i + 1, eventId(position, i), "!room:hs",
                    "m.room.message", null, null}));
        }
        assertTrue(log.append(new Transaction(position, Map.of("events", tails))));
    }

    static String eventId(long position, int i) {
        return "$" + position + "_" + i;
    }

    @Override
    public void close() {
        app.stop();
    }
}
