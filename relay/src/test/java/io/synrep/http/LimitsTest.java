package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.HttpConfig;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The configured caps on a request's limit and timeout, with huge and out-of-range values. */
class LimitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void hugeLimitsAndTimeoutsAreClampedToTheConfiguredMaximum() throws Exception {
        HttpConfig config = HttpConfig.defaults().withListen("127.0.0.1", 0).withLimits(300, 3);
        try (ServedLog served = new ServedLog(config, 100)) {
            for (int t = 1; t <= 5; t++) {
                served.appendEvents(100 + 100L * t, 1);
            }
            for (String limit : new String[] {"4", "99999999999", "9223372036854775807"}) {
                RawHttp.Response r = RawHttp.get(served.port(),
                        "/_synapse/replication?events=-1&timeout=0&limit=" + limit, "");
                assertEquals(200, r.status(), r.body());
                JsonNode page = JSON.readTree(r.body()).path("events");
                assertEquals(3, page.path("rows").size(), "limit " + limit + " is capped at 3: " + r.body());
                assertEquals(400, page.path("position").asLong());
            }
            assertEquals(400, RawHttp.get(served.port(), "/_synapse/replication?events=-1&limit=9223372036854775808",
                    "").status(), "beyond a long is malformed, not clamped");

            long started = System.nanoTime();
            RawHttp.Response held = RawHttp.get(served.port(),
                    "/_synapse/replication?events=600&timeout=9223372036854775807", "");
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertEquals(200, held.status(), held.body());
            assertEquals("{}", held.body());
            assertTrue(took >= 250 && took < 5_000, "held for the 300 ms cap, not forever: " + took + " ms");
        }
    }
}
