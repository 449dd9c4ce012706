package io.synrep.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * The listener's TLS identity from the files operators have: a PEM certificate chain (server certificate first) and
 * its unencrypted PKCS#8 PEM private key ({@code -----BEGIN PRIVATE KEY-----}; RSA, EC or EdDSA). Errors are
 * {@link IllegalArgumentException}s naming the file and what to do.
 */
public final class PemKeys {
    static final String ALIAS = "synrep";
    private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String KEY_END = "-----END PRIVATE KEY-----";

    private PemKeys() {}

    /** Reads both files and checks they belong together; the returned key store's key has {@code password}. */
    public static KeyStore keyStore(Path certFile, Path keyFile, char[] password) {
        List<Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile, chain.get(0).getPublicKey().getAlgorithm());
        if (!belongTogether(key, chain.get(0))) {
            throw new IllegalArgumentException("TLS key " + keyFile + " is not the private key of the first"
                    + " certificate in " + certFile);
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, key, password, chain.toArray(new Certificate[0]));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("TLS key " + keyFile + " does not fit certificate " + certFile + ": "
                    + e.getMessage());
        }
    }

    /** Signs a sample with the key and verifies it with the certificate. */
    private static boolean belongTogether(PrivateKey key, Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA sign by their own name
        };
        try {
            byte[] sample = "synrep".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(sample);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(sample);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static List<Certificate> certificates(Path file) {
        byte[] bytes = read(file, "certificate");
        Collection<? extends Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS certificate " + file + " is not a PEM certificate chain: "
                    + e.getMessage());
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("TLS certificate " + file + " holds no certificate (expected "
                    + "-----BEGIN CERTIFICATE-----)");
        }
        return List.copyOf(certs);
    }

    private static PrivateKey privateKey(Path file, String algorithm) {
        String pem = new String(read(file, "key"), StandardCharsets.US_ASCII);
        int begin = pem.indexOf(KEY_BEGIN);
        int end = pem.indexOf(KEY_END);
        if (begin < 0 || end < begin) {
            String hint = pem.contains("ENCRYPTED PRIVATE KEY") ? "it is encrypted"
                    : pem.contains("RSA PRIVATE KEY") || pem.contains("EC PRIVATE KEY") ? "it is not PKCS#8"
                    : "no -----BEGIN PRIVATE KEY----- block";
            throw new IllegalArgumentException("TLS key " + file + " must be an unencrypted PKCS#8 PEM key (" + hint
                    + "); convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(begin + KEY_BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TLS key " + file + " is not valid base64 PEM: " + e.getMessage());
        }
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS key " + file + " is not a " + algorithm
                    + " PKCS#8 key matching the certificate: " + e.getMessage());
        }
    }

    private static byte[] read(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read TLS " + what + " file " + file + ": " + e);
        }
    }
}
