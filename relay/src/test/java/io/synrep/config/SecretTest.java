package io.synrep.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the relay's secret check keeps: only the SHA-256 digest of the secret, never its text. The object that
 * checks requests ({@link Secret}, held by {@link HttpConfig}) is inspected field by field. The constant-time
 * comparison itself is not measured here (a timing test would be unreliable on a shared machine).
 */
class SecretTest {
    private static final String TEXT = "a-relay-secret-for-the-test-0123";

    @Test
    void onlyTheDigestOfTheSecretIsKept() throws Exception {
        Secret s = Secret.of(TEXT);
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(TEXT.getBytes(StandardCharsets.UTF_8));
        List<Field> fields = new ArrayList<>();
        for (Field f : Secret.class.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers())) {
                fields.add(f);
            }
        }
        assertEquals(1, fields.size(), "one instance field: " + fields);
        Field only = fields.get(0);
        assertEquals(byte[].class, only.getType(), "no String, char[] or object that could hold the text: " + only);
        only.setAccessible(true);
        byte[] kept = (byte[]) only.get(s);
        assertArrayEquals(expected, kept, "the field holds the secret's SHA-256 digest");
        String asText = new String(kept, StandardCharsets.ISO_8859_1);
        assertFalse(asText.contains(TEXT.substring(0, 8)), "the text is not in what is kept");
        assertEquals("***", s.toString());
    }

    @Test
    void matchesOnlyTheSecretItself() {
        Secret s = Secret.of(TEXT);
        assertTrue(s.matches(TEXT));
        assertFalse(s.matches(TEXT.substring(0, TEXT.length() - 1) + "4"), "same length, last character differs");
        assertFalse(s.matches("b" + TEXT.substring(1)), "same length, first character differs");
        assertFalse(s.matches(TEXT + "4"), "longer");
        assertFalse(s.matches(TEXT.substring(1)), "shorter");
        assertFalse(s.matches(""));
        assertFalse(s.matches(null));
    }

    @Test
    void theHttpConfigHoldsTheCheckingObjectNotTheText() {
        HttpConfig c = HttpConfig.defaults().withAuth(Secret.of(TEXT));
        assertFalse(c.toString().contains(TEXT), c.toString());
        assertTrue(c.auth().matches(TEXT));
    }
}
