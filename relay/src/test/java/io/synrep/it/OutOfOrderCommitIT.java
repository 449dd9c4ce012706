package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.synrep.Relay;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Transaction A takes stream_ordering 10, B takes 11, B commits first. A reader that already holds B's position
 * must still receive A: positions follow commit order, so A's position is after B's. Controlled transactions,
 * no timing assumptions.
 */
class OutOfOrderCommitIT {
    @Test
    void earlierStreamIdCommittedLaterIsDeliveredAfterwards() throws Exception {
        String url = TestPostgres.freshDatabase("ooo");
        try (Relay relay = RelayFixture.start(url, "ooo");
             Connection a = TestPostgres.connect(url);
             Connection b = TestPostgres.connect(url)) {
            RelayFixture.awaitStreaming(relay);
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            insertEvent(a, 10, "$a");
            insertEvent(b, 11, "$b");
            b.commit();

            Poller reader = new Poller(RelayFixture.base(relay), List.of("events"), "-1");
            reader.pollUntil(() -> reader.rows("events").size() >= 1, Duration.ofSeconds(30));
            assertEquals(1, reader.rows("events").size(), "only B is committed");
            JsonNode rowB = reader.rows("events").get(0);
            assertEquals(11, rowB.get(1).asLong());
            long positionB = rowB.get(0).asLong();
            assertTrue(Long.parseLong(reader.token("events")) >= positionB);

            a.commit();
            reader.pollUntil(() -> reader.rows("events").size() >= 2, Duration.ofSeconds(30));
            JsonNode rowA = reader.rows("events").get(1);
            assertEquals(10, rowA.get(1).asLong(), "A (stream_ordering 10) arrives after B");
            assertTrue(rowA.get(0).asLong() > positionB, "A's position is after B's: commit order");
            assertEquals(2, reader.rows("events").size());
        }
    }

    static void insertEvent(Connection c, long ordering, String id) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO events (stream_ordering, topological_ordering, event_id, type, room_id, "
                    + "content, processed, outlier, depth, origin_server_ts, received_ts, sender) VALUES ("
                    + ordering + ", 1, '" + id + "', 'm.room.message', '!r:test', '{}', true, false, 1, 0, 0, '@u:test')");
        }
    }
}
