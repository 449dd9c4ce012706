package io.synrep.client;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Tokens in a JSON file. A save writes {@code FILE.tmp}, forces it to disk and renames it over {@code FILE}, so a
 * reader of the file (another store, an operator, the next run after a crash) sees the old tokens or the new ones,
 * never a part of either. A save completes on an interrupted thread too ({@code java.io} streams, unlike NIO
 * channels, are not closed by an interrupt): a reader stopped while it saves (its thread is interrupted on close)
 * keeps the tokens of the rows it has just handled, rather than handling them again after a restart. Thread-safe.
 */
final class FileTokenStore implements TokenStore {
    /** Writes a save's bytes into the open temporary file; tests replace it to stop a save half-way. */
    interface ContentWriter {
        void write(OutputStream out, byte[] content) throws IOException;
    }

    private final Path file;
    private final Path tmp;
    private final ContentWriter writer;

    FileTokenStore(Path file) {
        this(file, OutputStream::write);
    }

    FileTokenStore(Path file, ContentWriter writer) {
        this.file = file.toAbsolutePath();
        this.tmp = this.file.resolveSibling(this.file.getFileName() + ".tmp");
        this.writer = writer;
    }


    @Override
    public Optional<Tokens> load() {
        try {
            return Optional.of(TokensJson.read(Files.readString(file)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read reader tokens from " + file + ": " + e.getMessage()
                    + " (move the file away to start over)", e);
        }
    }

    @Override
    public synchronized void save(Tokens t) {
        try {
            Files.createDirectories(file.getParent());
            try (FileOutputStream out = new FileOutputStream(tmp.toFile())) { // creates or truncates
                writer.write(out, TokensJson.write(t).getBytes(StandardCharsets.UTF_8));
                out.getFD().sync();
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save reader tokens to " + file + ": " + e.getMessage(), e);
        }
    }
}
