package io.synrep.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** The JSON form of {@link Tokens} shared by the file and table stores. */
final class TokensJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokensJson() {}

    static String write(Tokens t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", t.epoch());
        m.put("tokens", new TreeMap<>(t.byStream()));
        try {
            return JSON.writeValueAsString(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Tokens read(String text) throws IOException {
        JsonNode n = JSON.readTree(text);
        if (n == null || !n.isObject() || !n.has("tokens")) {
            throw new IOException("not a tokens object");
        }
        Map<String, String> tokens = JSON.convertValue(n.get("tokens"), new TypeReference<Map<String, String>>() {});
        String epoch = n.hasNonNull("epoch") ? n.get("epoch").asText() : null;
        return new Tokens(epoch, tokens);
    }
}
