package io.synrep.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A shared secret that clients present as {@code Authorization: Bearer <secret>}.
 *
 * <p>Never printed: {@link #toString()} is a fixed mask, so records holding a secret can be logged. Only its
 * SHA-256 digest is kept for checking, and {@link #matches} compares digests with
 * {@link MessageDigest#isEqual} (time independent of where they differ; comparing digests keeps the length of the
 * secret out of the timing too). Immutable and thread-safe.
 */
public final class Secret {
    /** Shortest secret accepted: shorter ones are guessable. */
    public static final int MIN_LENGTH = 16;
    private static final int MAX_LENGTH = 4096;

    private final byte[] digest;

    private Secret(byte[] digest) {
        this.digest = digest;
    }

    /**
     * @throws IllegalArgumentException when {@code value} is shorter than {@link #MIN_LENGTH}, longer than 4096, or
     *                                  has characters other than visible ASCII (it must fit in an HTTP header)
     */
    public static Secret of(String value) {
        if (value == null || value.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("the auth secret must be at least " + MIN_LENGTH + " characters long"
                    + (value == null ? "" : ", was " + value.length()));
        }
        if (value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("the auth secret must be at most " + MAX_LENGTH + " characters long");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("the auth secret may only contain visible ASCII characters"
                        + " (no spaces or control characters); character " + (i + 1) + " is not");
            }
        }
        return new Secret(sha256(value));
    }

    /** Whether {@code candidate} is this secret; constant time in the candidate's content and length. */
    public boolean matches(String candidate) {
        return MessageDigest.isEqual(digest, sha256(candidate == null ? "" : candidate));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JRE", e);
        }
    }

    @Override
    public String toString() {
        return "***";
    }
}
