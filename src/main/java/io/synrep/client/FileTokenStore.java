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

final class FileTokenStore implements TokenStore {
    private final Path file;
    private final Path tmp;

    FileTokenStore(Path file) {
        this.file = file.toAbsolutePath();
        this.tmp = this.file.resolveSibling(this.file.getFileName() + ".tmp");
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
                ch.write(ByteBuffer.wrap(TokensJson.write(t).getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save reader tokens to " + file + ": " + e.getMessage(), e);
        }
    }
}
