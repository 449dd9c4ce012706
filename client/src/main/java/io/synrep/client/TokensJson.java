package io.synrep.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.protocol.Position;
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
        if (n == null || !n.isObject() || !n.path("tokens").isObject()) {
            throw new IOException("not a tokens object");
        }
        // validate here: a damaged token would otherwise surface later as a refused request, retried for ever
        Map<String, String> tokens = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.get("tokens").properties()) {
            JsonNode v = e.getValue();
            String t = v.isIntegralNumber() && v.canConvertToLong() ? v.asText() : v.isTextual() ? v.asText() : null;
            if (t == null || !(t.equals(Position.NOW_TOKEN) || isLong(t))) {
                throw new IOException("bad token for stream " + e.getKey() + ": " + v);
            }
            tokens.put(e.getKey(), t);
        }
        JsonNode epoch = n.path("epoch");
        if (!epoch.isMissingNode() && !epoch.isNull() && !epoch.isTextual()) {
            throw new IOException("bad epoch: " + epoch);
        }
        return new Tokens(epoch.isTextual() ? epoch.asText() : null, tokens);
    }

    private static boolean isLong(String s) {
        try {
            Long.parseLong(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
