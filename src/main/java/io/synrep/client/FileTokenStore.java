package io.synrep.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Tokens in a JSON file. A save writes {@code FILE.tmp}, forces it to disk and renames it over {@code FILE}, so a
 * reader of the file (another store, an operator, the next run after a crash) sees the old tokens or the new ones,
 * never a part of either. Thread-safe.
 */
final class FileTokenStore implements TokenStore {
    /** Writes a save's bytes into the open temporary file; tests replace it to stop a save half-way. */
    interface ContentWriter {
        void write(FileChannel channel, ByteBuffer content) throws IOException;
    }

    private final Path file;
    private final Path tmp;
    private final ContentWriter writer;

    FileTokenStore(Path file) {
        this(file, FileTokenStore::writeFully);
    }

    FileTokenStore(Path file, ContentWriter writer) {
        this.file = file.toAbsolutePath();
        this.tmp = this.file.resolveSibling(this.file.getFileName() + ".tmp");
        this.writer = writer;
    }

    private static void writeFully(FileChannel channel, ByteBuffer content) throws IOException {
        while (content.hasRemaining()) {
            channel.write(content);
        }
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
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch, ByteBuffer.wrap(TokensJson.write(t).getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save reader tokens to " + file + ": " + e.getMessage(), e);
        }
    }
}
