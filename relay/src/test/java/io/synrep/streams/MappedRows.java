package io.synrep.streams;

import io.synrep.log.Transaction;
import io.synrep.log.Pages;
import io.synrep.capture.TransactionBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A mapper over a catalog given as JSON text, and a finished transaction's rows as text, for mapper tests. */
final class MappedRows {
    private MappedRows() {}

    /** A heap-only mapper over {@code catalogJson}, written to a file in {@code dir} and loaded as an operator's. */
    static TransactionMapper<Transaction> mapper(Path dir, String catalogJson) throws IOException {
        Path file = Files.createTempFile(dir, "catalog", ".json");
        Files.writeString(file, catalogJson, StandardCharsets.UTF_8);
        return new TransactionMapper<>(Catalog.load(file), new TransactionBuffer(dir.resolve("spill"), Long.MAX_VALUE));
    }

    /** Finishes the mapper's transaction and returns {@code stream}'s row tails ({@code ,1,"a"}) in order. */
    static List<String> finish(TransactionMapper<Transaction> mapper, String stream) {
        List<String> out = new ArrayList<>();
        Pages.readBack(mapper.finish(100), stream).forEach(t -> out.add(new String(t, StandardCharsets.UTF_8)));
        return out;
    }
}
