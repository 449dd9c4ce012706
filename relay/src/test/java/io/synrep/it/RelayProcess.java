package io.synrep.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * {@code java -jar target/synrep.jar serve ...} in its own JVM, as an operator runs it. Learns the HTTP port from
 * the line the relay prints, keeps its output in a file for diagnosis. Can be stopped politely ({@link #close}),
 * killed with SIGKILL ({@link #kill}), or watched while it ends by itself ({@link #awaitExit}).
 */
public final class RelayProcess implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("Synrep relay serving https?://[^:]+:(\\d+)/");
    private final Process process;
    private final Path output;
    /** The HTTP port once the relay serves, or -1 when its output ended first. */
    private final CompletableFuture<Integer> port;
    /** Completes when the whole output is in the file (the process closed it, normally by ending). */
    private final CompletableFuture<Void> drained;

    private RelayProcess(Process process, Path output, CompletableFuture<Integer> port,
                         CompletableFuture<Void> drained) {
        this.process = process;
        this.output = output;
        this.port = port;
        this.drained = drained;
    }

    public static String jar() {
        String jar = System.getProperty("synrep.jar", "target/synrep.jar");
        if (!new File(jar).isFile()) {
            throw new IllegalStateException("relay jar " + jar + " not built; run mvn verify");
        }
        return jar;
    }

    /** Starts the relay with the given JVM options and serve arguments; waits until it serves. */
    public static RelayProcess start(List<String> jvmOptions, List<String> serveArgs) throws IOException, InterruptedException {
        RelayProcess relay = launch(jvmOptions, serveArgs);
        boolean serving;
        try {
            serving = relay.awaitServing(Duration.ofSeconds(120));
        } catch (TimeoutException e) {
            relay.process.destroyForcibly();
            throw new IllegalStateException("relay did not start: " + relay.output(), e);
        }
        if (!serving) {
            throw new IllegalStateException("relay exited: " + relay.output());
        }
        return relay;
    }

    /** Starts the relay without waiting for it to serve; see {@link #awaitServing}. */
    public static RelayProcess launch(List<String> jvmOptions, List<String> serveArgs) throws IOException {
        JarProcess j = JarProcess.launch("serve", jvmOptions, serveArgs, SERVING);
        return new RelayProcess(j.process(), j.output(), j.port(), j.drained());
    }

    /**
     * Waits until the relay prints that it serves.
     *
     * @return true once it serves; false when the process ended (or closed its output) before that
     * @throws TimeoutException when neither happened within the given time; the process is left running
     */
    public boolean awaitServing(Duration within) throws InterruptedException, TimeoutException {
        try {
            return port.get(within.toMillis(), TimeUnit.MILLISECONDS) >= 0;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The HTTP port; only valid once the relay serves. */
    public int port() {
        Integer p = port.getNow(-1);
        if (p < 0) {
            throw new IllegalStateException("relay is not serving");
        }
        return p;
    }

    public String base() {
        return "http://127.0.0.1:" + port();
    }

    public long pid() {
        return process.pid();
    }

    public String output() throws IOException {
        return Files.readString(output);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL (no shutdown hooks, no flush: a crash), then waits until the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("relay (pid " + process.pid() + ") survived SIGKILL for 30 s");
        }
        awaitDrained();
    }

    /** SIGKILL without waiting; for clean-up paths that must not block. */
    public void destroyForcibly() {
        process.destroyForcibly();
    }

    /**
     * Waits for the process to end by itself; true when it did within the given time. Then {@link #output} holds
     * everything it printed.
     */
    public boolean awaitExit(Duration within) throws InterruptedException {
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            return false;
        }
        awaitDrained();
        return true;
    }

    /** After the process ended: waits (briefly) until the output pump has written its last line. */
    private void awaitDrained() throws InterruptedException {
        try {
            drained.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // the output file may then miss its last lines; it is only for diagnosis and output checks
        }
    }

    /** The exit status of an ended process (137 after SIGKILL on Linux). */
    public int exitCode() {
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
