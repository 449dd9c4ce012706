package io.synrep.bench;

import io.synrep.protocol.Position;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * PostgreSQL's own logical decoding client, the raw-decoder baseline: {@code pg_recvlogical} draining a pgoutput slot
 * (protocol 1, the relay's publication) up to an end position, its output discarded.
 */
final class RecvLogical {
    private final String binary;

    private RecvLogical(String binary) {
        this.binary = binary;
    }

    /** {@code pg_recvlogical} from the PATH, else from {@code /usr/lib/postgresql/* /bin}; empty when absent. */
    static Optional<RecvLogical> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "pg_recvlogical");
            if (Files.isExecutable(p)) {
                return Optional.of(new RecvLogical(p.toString()));
            }
        }
        Path lib = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(lib)) {
            try (DirectoryStream<Path> versions = Files.newDirectoryStream(lib)) {
                for (Path v : versions) {
                    Path p = v.resolve("bin/pg_recvlogical");
                    if (Files.isExecutable(p)) {
                        return Optional.of(new RecvLogical(p.toString()));
                    }
                }
            } catch (IOException ignored) {
                // treated as absent
            }
        }
        return Optional.empty();
    }

    String binary() {
        return binary;
    }

    /**
     * Drains {@code slot} up to {@code endpos}; returns the wall time in nanoseconds from process start to its exit.
     */
    long drain(int port, String slot, long endpos) throws IOException, InterruptedException {
        List<String> cmd = List.of(binary, "-h", "localhost", "-p", Integer.toString(port), "-U", "postgres",
                "-d", "postgres", "--slot", slot, "--start", "--no-loop", "--endpos", Position.formatLsn(endpos),
                "-o", "proto_version=1", "-o", "publication_names=" + BenchDatabase.PUBLICATION, "-f", "/dev/null");
        long started = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("pg_recvlogical did not finish within 10 minutes");
        }
        long elapsed = System.nanoTime() - started;
        if (p.exitValue() != 0) {
            throw new IllegalStateException("pg_recvlogical exited with " + p.exitValue() + ": "
                    + new String(out, StandardCharsets.UTF_8).trim());
        }
        return elapsed;
    }
}
