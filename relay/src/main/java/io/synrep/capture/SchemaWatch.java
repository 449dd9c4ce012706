package io.synrep.capture;

import io.synrep.streams.Catalog;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares the writer's schema with the catalog every {@value #CHECK_MILLIS} ms while streaming and hands the result
 * to {@link StreamStates}, so that a dropped table or column shows as the stream's error. An unreachable writer
 * leaves the states as they were. {@link #check()} runs on one thread.
 */
public final class SchemaWatch {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaWatch.class);
    /** How often the writer's schema is compared with the catalog while streaming. */
    public static final long CHECK_MILLIS = 2000;

    private final Catalog catalog;
    private final List<String> publications;
    private final WriterProbe writer;
    private final StreamStates states;

    /** @param publications the publications capture streams from ({@link Publications#names()}) */
    public SchemaWatch(Catalog catalog, List<String> publications, WriterProbe writer, StreamStates states) {
        this.catalog = catalog;
        this.publications = List.copyOf(publications);
        this.writer = writer;
        this.states = states;
    }

    public void check() {
        try {
            SchemaGaps gaps = writer.schemaGaps(catalog.columnsByTable(), publications);
            if (gaps != null) {
                states.update(gaps);
            }
        } catch (RuntimeException e) {
            // a periodic task that throws is never run again: report and keep checking
            LOG.warn("schema check failed: {}", e.toString());
        }
    }
}
