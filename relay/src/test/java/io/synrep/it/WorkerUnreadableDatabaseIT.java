package io.synrep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.Relay;
import io.synrep.worker.Worker;
import io.synrep.client.TokenStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A worker whose database cannot be read answers its reads with 503 {@code M_UNAVAILABLE} as JSON (no stack trace,
 * no 500), and answers them again once the database can be read. Real relay, worker and PostgreSQL; the worker
 * reads as its own role, which the test first denies a table (permission denied), then denies logging in with its
 * open connections terminated (cannot connect). Each read asks for a user not read before, so no cache answers it.
 */
class WorkerUnreadableDatabaseIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WITHIN = Duration.ofSeconds(60);
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void readsAnswer503UnavailableWhileTheDatabaseCannotBeReadAndRecoverAfterwards() throws Exception {
        String url = TestPostgres.freshDatabase("workerunread");
        String role = "unread_" + ProcessHandle.current().pid();
        String roleUrl = url.replace("user=postgres", "user=" + role);
        try (Connection admin = TestPostgres.connect(url); Statement st = admin.createStatement()) {
            st.execute("DROP ROLE IF EXISTS " + role);
            st.execute("CREATE ROLE " + role + " LOGIN");
            st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
            try (Relay relay = RelayFixture.start(url, "workerunread_slot")) {
                RelayFixture.awaitStreaming(relay);
                try (Worker worker = Worker.start(new Worker.Settings(URI.create(RelayFixture.base(relay)), roleUrl,
                        "127.0.0.1", 0, "unread", TokenStore.inMemory(), "-1", 1000, 2, Duration.ofMillis(300)))) {
                    String base = "http://127.0.0.1:" + worker.port();
                    awaitFollowing(base);

                    // a table the worker's role may not read
                    st.execute("REVOKE SELECT ON receipts_linearized FROM " + role);
                    assertUnavailable(get(base + "/users/@b:t/receipts"), "permission denied");
                    st.execute("GRANT SELECT ON receipts_linearized TO " + role);
                    assertEquals(200, get(base + "/users/@c:t/receipts").statusCode(), "readable again");

                    // a database the worker cannot connect to: its connections are gone and it may not log in
                    st.execute("ALTER ROLE " + role + " NOLOGIN");
                    st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role + "'");
                    assertUnavailable(get(base + "/users/@d:t/receipts"), "cannot connect");
                    assertUnavailable(get(base + "/events/$nothing"), "cannot connect");
                    st.execute("ALTER ROLE " + role + " LOGIN");
                    HttpResponse<String> back = get(base + "/users/@e:t/receipts");
                    assertEquals(200, back.statusCode(), back.body());
                    assertEquals(0, JSON.readTree(back.body()).get("receipts").size());
                }
            } finally {
                st.execute("ALTER ROLE " + role + " LOGIN");
                st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role + "'");
            }
        }
    }

    private static void assertUnavailable(HttpResponse<String> r, String why) throws Exception {
        assertEquals(503, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                r.headers().map().toString());
        JsonNode body = JSON.readTree(r.body());
        assertEquals("M_UNAVAILABLE", body.path("errcode").asText(), r.body());
        assertTrue(body.path("error").asText().contains(why), r.body());
        assertFalse(r.body().contains("\tat ") || r.body().contains("\\tat ") || r.body().contains("Exception"),
                "no stack trace or exception name: " + r.body());
    }

    /** Until the worker has had a poll answered, every read is 503 "not followed the relay yet". */
    private void awaitFollowing(String base) throws Exception {
        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = get(base + "/users/@a:t/receipts");
            if (r.statusCode() == 200) {
                return;
            }
            assertTrue(r.body().contains("not followed the relay yet"), r.body());
            Thread.sleep(50);
        }
        fail("the worker did not follow the relay within " + WITHIN);
    }

    private HttpResponse<String> get(String uri) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
