package io.synrep.capture;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Debezium's offset store, backed by the relay's {@link StateKeeper}: offsets are loaded from the saved state when
 * the engine starts and saved with it (atomically, together with the horizon) whenever Debezium flushes.
 * Debezium instantiates this class by name and passes the keeper's id as {@value #KEEPER_PROPERTY}.
 */
public final class StateOffsetStore extends MemoryOffsetBackingStore {
    static final String KEEPER_PROPERTY = "synrep.state.keeper";
    private StateKeeper keeper;
    /** The keeper's generation when this engine loaded its offsets. */
    private long generation;

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        keeper = StateKeeper.lookup(config.originalsStrings().get(KEEPER_PROPERTY));
    }

    @Override
    public synchronized void start() {
        super.start();
        data.clear();
        Map.Entry<Long, Map<String, String>> loaded = keeper.offsetsWithGeneration();
        generation = loaded.getKey();
        loaded.getValue().forEach((k, v) -> data.put(bytes(k), bytes(v)));
    }

    @Override
    protected void save() {
        Map<String, String> offsets = new HashMap<>();
        data.forEach((k, v) -> {
            if (k != null && v != null) {
                offsets.put(text(k), text(v));
            }
        });
        keeper.saveOffsets(offsets, generation);
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return Set.of();
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] a = new byte[d.remaining()];
        d.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }
}
