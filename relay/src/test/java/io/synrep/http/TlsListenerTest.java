package io.synrep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.config.HttpConfig;
import io.synrep.config.Secret;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HTTPS on the relay's listener from PEM files made with keytool. */
class TlsListenerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpConfig LOCAL = HttpConfig.defaults().withListen("127.0.0.1", 0);

    @TempDir
    Path dir;

    private static HttpResponse<String> get(HttpClient client, String url, String secret)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (secret != null) {
            b.header("Authorization", "Bearer " + secret);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSA", "EC"})
    void aClientTrustingTheCertificateGetsRowsAndPlainHttpFails(String alg) throws Exception {
        TlsFiles tls = TlsFiles.create(dir, alg);
        try (ServedLog served = new ServedLog(LOCAL.withTls(tls.cert(), tls.key())
                .withAuth(Secret.of(ListenerTest.SECRET)), 100)) {
            served.appendEvents(200, 3);
            HttpClient trusting = HttpClient.newBuilder().sslContext(tls.trustingContext())
                    .connectTimeout(Duration.ofSeconds(5)).build();
            String query = "/_synapse/replication?events=-1&timeout=0";
            HttpResponse<String> r = get(trusting, "https://127.0.0.1:" + served.port() + query, ListenerTest.SECRET);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode rows = JSON.readTree(r.body()).path("events").path("rows");
            assertEquals(3, rows.size(), r.body());
            assertEquals(ServedLog.eventId(200, 2), rows.get(2).get(2).asText());
            assertEquals(401, get(trusting, "https://127.0.0.1:" + served.port() + query, null).statusCode(),
                    "TLS does not replace the secret");

            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            assertThrows(IOException.class, () -> get(plain, "http://127.0.0.1:" + served.port() + query,
                    ListenerTest.SECRET), "plain HTTP to the TLS port is not answered");
            assertThrows(SSLHandshakeException.class, () -> get(plain, "https://127.0.0.1:" + served.port() + query,
                    ListenerTest.SECRET), "a client that does not trust the certificate refuses it");
        }
    }

    @Test
    void unusableKeyFilesAreClearErrors() throws Exception {
        TlsFiles rsa = TlsFiles.create(dir, "RSA");
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        TlsFiles otherPair = TlsFiles.create(other, "RSA");
        Path pkcs1 = dir.resolve("pkcs1.pem");
        Files.writeString(pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        char[] pw = "pw".toCharArray();
        assertTrue(PemKeys.keyStore(rsa.cert(), rsa.key(), pw).containsAlias(PemKeys.ALIAS));
        String wrongPair = assertThrows(IllegalArgumentException.class,
                () -> PemKeys.keyStore(rsa.cert(), otherPair.key(), pw)).getMessage();
        assertTrue(wrongPair.contains("is not the private key"), wrongPair);
        String notPkcs8 = assertThrows(IllegalArgumentException.class,
                () -> PemKeys.keyStore(rsa.cert(), pkcs1, pw)).getMessage();
        assertTrue(notPkcs8.contains("openssl pkcs8"), notPkcs8);
        String missing = assertThrows(IllegalArgumentException.class,
                () -> PemKeys.keyStore(dir.resolve("nope.pem"), rsa.key(), pw)).getMessage();
        assertTrue(missing.contains("nope.pem"), missing);
        String notCert = assertThrows(IllegalArgumentException.class,
                () -> PemKeys.keyStore(rsa.key(), rsa.key(), pw)).getMessage();
        assertTrue(notCert.contains("certificate"), notCert);
    }
}
