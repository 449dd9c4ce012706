package io.synrep.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The answer of {@code GET /_synapse/replication/catalog}:
 * {@code {"catalog": NAME, "streams": [{"name": S, "field_names": ["position", ...]}, ...]}} in catalog order.
 * Stateless and thread-safe.
 */
public final class CatalogAnswer {
    public static final String CATALOG = "catalog";
    public static final String STREAMS = "streams";
    public static final String NAME = "name";

    private static final ObjectMapper JSON = new ObjectMapper();

    private CatalogAnswer() {}

    /** @param fieldsByStream each stream's fields after {@code position}, in the order to list them */
    public static byte[] encode(String catalogName, Map<String, List<String>> fieldsByStream) {
        ObjectNode body = JSON.createObjectNode();
        body.put(CATALOG, catalogName);
        ArrayNode streams = body.putArray(STREAMS);
        fieldsByStream.forEach((name, fields) -> {
            ArrayNode names = streams.addObject().put(NAME, name).putArray(PollAnswer.FIELD_NAMES)
                    .add(PollAnswer.POSITION);
            fields.forEach(names::add);
        });
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }
}
