package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.HttpConfig;
import io.synrep.config.Secret;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The listener's checks against a real relay API: the bearer secret, query length, Jetty's own rejections. */
class ListenerTest {
    static final String SECRET = "s3cret-for-tests-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpConfig LOCAL = HttpConfig.defaults().withListen("127.0.0.1", 0);
    private ServedLog served;

    @AfterEach
    void stop() {
        if (served != null) {
            served.close();
        }
    }

    private ServedLog serve(HttpConfig config) {
        served = new ServedLog(config, 100);
        served.appendEvents(200, 2);
        return served;
    }

    private RawHttp.Response get(String target, String headers) throws IOException {
        return RawHttp.get(served.port(), target, headers);
    }

    private static JsonNode error(RawHttp.Response r, int status, String errcode) throws IOException {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.header("content-type").startsWith("application/json"), r.headers().toString());
        JsonNode body = JSON.readTree(r.body());
        assertEquals(errcode, body.path("errcode").asText(), r.body());
        assertFalse(body.path("error").asText().isBlank(), r.body());
        return body;
    }

    private static void rows(RawHttp.Response r) throws IOException {
        assertEquals(200, r.status(), r.body());
        JsonNode rows = JSON.readTree(r.body()).path("events").path("rows");
        assertEquals(2, rows.size(), r.body());
        assertEquals(200, rows.get(0).get(0).asLong());
        assertEquals(ServedLog.eventId(200, 1), rows.get(1).get(2).asText());
    }

    @Test
    void withASecretEveryEndpointButHealthNeedsIt() throws IOException {
        serve(LOCAL.withAuth(Secret.of(SECRET)));
        String poll = "/_synapse/replication?events=-1&timeout=0";

        RawHttp.Response missing = get(poll, "");
        error(missing, 401, "M_MISSING_TOKEN");
        assertTrue(missing.header("www-authenticate").startsWith("Bearer"), missing.headers().toString());
        assertNull(missing.header(HttpApi.EPOCH_HEADER), "nothing about the database before authentication");

        error(get(poll, "Authorization: Basic " + SECRET + "\r\n"), 401, "M_MISSING_TOKEN");
        error(get(poll, "Authorization: Bearer\r\n"), 401, "M_MISSING_TOKEN");
        error(get(poll, "Authorization: Bearer \r\n"), 401, "M_MISSING_TOKEN");
        error(get(poll, "Authorization: Bearer " + SECRET + "x\r\n"), 401, "M_UNKNOWN_TOKEN");
        error(get(poll, "Authorization: Bearer " + SECRET.substring(1) + "\r\n"), 401, "M_UNKNOWN_TOKEN");
        error(get(poll, "Authorization: Bearer " + SECRET.toUpperCase() + "\r\n"), 401, "M_UNKNOWN_TOKEN");
        error(get(poll, "Authorization: Bearer " + SECRET + "\r\nAuthorization: Bearer " + SECRET + "\r\n"), 401,
                "M_MISSING_TOKEN");
        // unknown paths do not reveal themselves either
        error(get("/nope", ""), 401, "M_MISSING_TOKEN");
        error(get("/_synapse/replication/catalog", ""), 401, "M_MISSING_TOKEN");
        assertEquals(200, get("/_synapse/replication/catalog", "Authorization: Bearer " + SECRET + "\r\n").status());

        rows(get(poll, "Authorization: Bearer " + SECRET + "\r\n"));
        rows(get(poll, "authorization: bearer " + SECRET + "\r\n"));
        error(get("/nope", "Authorization: Bearer " + SECRET + "\r\n"), 404, "M_UNRECOGNIZED");
        assertEquals(200, get("/health", "").status(), "the liveness probe stays open");
    }

    @Test
    void withoutASecretNothingIsAsked() throws IOException {
        serve(LOCAL);
        rows(get("/_synapse/replication?events=-1&timeout=0", ""));
        rows(get("/_synapse/replication?events=-1&timeout=0", "Authorization: Bearer whatever\r\n"));
    }

    @Test
    void secretsAreNeverPrintedAndMustBeStrong() {
        HttpConfig config = LOCAL.withAuth(Secret.of(SECRET));
        assertFalse(config.toString().contains(SECRET), config.toString());
        assertTrue(config.toString().contains("auth=***"), config.toString());
        assertTrue(Secret.of(SECRET).matches(SECRET));
        assertFalse(Secret.of(SECRET).matches(SECRET + " "));
        assertFalse(Secret.of(SECRET).matches(null));
        assertThrows(IllegalArgumentException.class, () -> Secret.of("short"));
        assertThrows(IllegalArgumentException.class, () -> Secret.of("has a space in it, sixteen+"));
        assertThrows(IllegalArgumentException.class, () -> Secret.of("line\nbreak-0123456789"));
    }

    @Test
    void aPublicAddressWithoutASecretIsWarnedAbout() {
        assertTrue(Listener.exposureWarning(LOCAL, "the relay").isEmpty());
        assertTrue(Listener.exposureWarning(LOCAL.withListen("localhost", 0), "the relay").isEmpty());
        assertTrue(Listener.exposureWarning(LOCAL.withListen("::1", 0), "the relay").isEmpty());
        String warning = Listener.exposureWarning(LOCAL.withListen("0.0.0.0", 0), "the relay").orElseThrow();
        assertTrue(warning.contains("0.0.0.0") && warning.contains("SYNREP_AUTH_SECRET"), warning);
        assertTrue(Listener.exposureWarning(LOCAL.withListen("0.0.0.0", 0).withAuth(Secret.of(SECRET)), "the relay")
                .isEmpty());
    }

    @Test
    void aLongQueryIsRefusedWithJson() throws IOException {
        serve(LOCAL.withMaxQueryLength(512));
        String base = "/_synapse/replication?events=-1&timeout=0&epoch=";
        String fits = base + "x".repeat(200);
        assertEquals(410, get(fits, "").status(), "within the limit the request is served (and its epoch checked)");
        JsonNode body = error(get(base + "x".repeat(600), ""), 414, "M_TOO_LARGE");
        assertTrue(body.path("error").asText().contains("512"), body.toString());
        // beyond even Jetty's request line limit: Jetty refuses it itself, still with a JSON body
        error(get(base + "x".repeat(40_000), ""), 414, "M_TOO_LARGE");
        error(get("/_synapse/replication?events=-1", "X-Filler: " + "y".repeat(40_000) + "\r\n"), 431,
                "M_TOO_LARGE");
        rows(get("/_synapse/replication?events=-1&timeout=0", ""));
    }

    @Test
    void malformedRequestsGetJsonFromJettyToo() throws IOException {
        serve(LOCAL);
        for (String target : List.of("/_synapse/%2e%2e/replication?events=-1", "/_synapse/replication?events=%zz",
                "/a%00b", "/_synapse//replication?events=-1", "/%")) {
            RawHttp.Response r = get(target, "Accept: text/html\r\n");
            assertTrue(r.status() >= 400 && r.status() < 500, target + " -> " + r.status() + " " + r.body());
            error(r, r.status(), JSON.readTree(r.body()).path("errcode").asText());
        }
        RawHttp.Response bad = RawHttp.exchange(served.port(), "GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n"
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        error(bad, 400, "M_UNRECOGNIZED");
    }
}
