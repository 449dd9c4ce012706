package io.synrep.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.client.ReplicationClient;
import io.synrep.client.Row;
import java.io.BufferedWriter;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A test seam of the worker: with the system property {@value #PROPERTY} naming a file, every row the worker's
 * stores have handled is appended to it as one line, {@code stream TAB row-as-JSON}, written out before the next
 * row is handled (so before the tokens covering it are saved). Tests of a worker process compare these lines with
 * what the relay served, row by row, across restarts. Without the property nothing is registered. Only the reader
 * thread writes.
 */
final class RowTrace {
    static final String PROPERTY = "synrep.test.trace-rows";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Writer out;

    private RowTrace(Writer out) {
        this.out = out;
    }

    /** Registers the trace after the stores' handlers of {@code streams} when {@value #PROPERTY} is set. */
    static void attachIfAsked(ReplicationClient.Builder builder, List<String> streams) {
        String file = System.getProperty(PROPERTY);
        if (file == null || file.isBlank()) {
            return;
        }
        RowTrace trace;
        try {
            // a java.io stream: an interrupt of the reader thread (the worker stopping) does not close it
            trace = new RowTrace(new BufferedWriter(new OutputStreamWriter(new FileOutputStream(file, true),
                    StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the row trace " + file, e);
        }
        for (String stream : streams) {
            builder.on(stream, trace::handled); // runs after the store's handler of the row
        }
    }

    private void handled(Row row) {
        try {
            out.write(row.stream() + "\t" + JSON.writeValueAsString(row.values()) + "\n");
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the row trace", e);
        }
    }
}
