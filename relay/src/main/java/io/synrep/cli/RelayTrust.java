package io.synrep.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The HTTP client a reader uses for the relay: with {@code --relay-ca FILE}, HTTPS trusts only the PEM certificates
 * in FILE (a self-signed relay certificate or a private CA) instead of the JVM's default trust store.
 */
final class RelayTrust {
    private RelayTrust() {}

    static HttpClient client(String command, Path caFile) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (caFile != null) {
            b.sslContext(context(command, caFile));
        }
        return b.build();
    }

    private static SSLContext context(String command, Path caFile) {
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(caFile)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new UsageException(command + ": --relay-ca: cannot read PEM certificates from " + caFile + ": "
                    + e.getMessage());
        }
        if (certs.isEmpty()) {
            throw new UsageException(command + ": --relay-ca: " + caFile + " holds no certificate");
        }
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                trust.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS trust: " + e.getMessage(), e);
        }
    }
}
