package io.synrep.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * {@code java -jar target/synrep.jar worker ...} in its own JVM, as an operator runs it (modelled on
 * {@link RelayProcess}). Learns the read API's port from the line the worker prints
 * ({@code Synrep worker serving http://HOST:PORT/}), keeps its output in a file for diagnosis. Can be stopped with
 * SIGTERM ({@link #stop}), killed with SIGKILL ({@link #kill}), paused and resumed ({@link #pause}/{@link #resume},
 * SIGSTOP/SIGCONT), and asked for its {@code /position}.
 */
public final class WorkerProcess implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("Synrep worker serving http://[^:]+:(\\d+)/");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** JVM options for a worker on a small test machine. */
    public static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final Process process;
    private final Path output;
    private final CompletableFuture<Integer> port;
    private final CompletableFuture<Void> drained;

    private WorkerProcess(Process process, Path output, CompletableFuture<Integer> port,
                          CompletableFuture<Void> drained) {
        this.process = process;
        this.output = output;
        this.port = port;
        this.drained = drained;
    }

    /** Starts a worker with {@link #JVM} and the given worker arguments; waits until it serves. */
    public static WorkerProcess start(List<String> workerArgs) throws IOException, InterruptedException {
        WorkerProcess w = launch(JVM, workerArgs);
        w.awaitServingOrFail();
        return w;
    }

    /** Starts a worker without waiting for it to serve; see {@link #awaitServingOrFail}. */
    public static WorkerProcess launch(List<String> jvmOptions, List<String> workerArgs) throws IOException {
        JarProcess j = JarProcess.launch("worker", jvmOptions, workerArgs, SERVING);
        return new WorkerProcess(j.process(), j.output(), j.port(), j.drained());
    }

    /** Waits (up to 120 s) until the worker prints that it serves; fails with its output otherwise. */
    public void awaitServingOrFail() throws IOException, InterruptedException {
        int p;
        try {
            p = port.get(120, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException("worker did not start within 120 s: " + output(), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (p < 0) {
            throw new IllegalStateException("worker exited before serving: " + output());
        }
    }

    public int port() {
        Integer p = port.getNow(-1);
        if (p < 0) {
            throw new IllegalStateException("worker is not serving");
        }
        return p;
    }

    public String base() {
        return "http://127.0.0.1:" + port();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() throws IOException {
        return Files.readString(output);
    }

    /** GET {@code path} of the read API, parsed; the status must be one of {@code expected}. */
    public JsonNode get(String path, int... expected) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        for (int s : expected) {
            if (r.statusCode() == s) {
                return JSON.readTree(r.body());
            }
        }
        throw new AssertionError("GET " + path + " -> " + r.statusCode() + " " + r.body());
    }

    /** The worker's {@code /position} answer: position, epoch, resyncs, rows, errors, last_error. */
    public JsonNode position() throws IOException, InterruptedException {
        return get("/position", 200);
    }

    /** Waits until {@code /position} reports at least {@code target} and returns that answer. */
    public JsonNode awaitPosition(long target, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = position();
            if (last.path("position").asLong(-1) >= target) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("worker " + base() + " did not reach position " + target + " within " + within
                + "; last /position: " + last + "\n" + output());
    }

    /** Waits until {@code /health} answers 200 (the worker has had its first response from the relay). */
    public void awaitReading(Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode h = get("/health", 200, 503);
            if ("reading".equals(h.path("status").asText())) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("worker " + base() + " not reading within " + within + "\n" + output());
    }

    /** SIGSTOP: the JVM freezes (its sockets stay open), as a worker stuck in a long GC pause or swapped out. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause}. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String sig) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
        if (k.waitFor() != 0) {
            throw new IllegalStateException("kill -" + sig + " " + process.pid() + " failed");
        }
    }

    /** SIGTERM (the worker's shutdown hook stops it cleanly), then waits until the process is gone. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("worker (pid " + process.pid() + ") survived SIGTERM for 30 s");
        }
        awaitDrained();
        return process.exitValue();
    }

    /** SIGKILL, then waits until the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("worker (pid " + process.pid() + ") survived SIGKILL for 30 s");
        }
        awaitDrained();
    }

    private void awaitDrained() throws InterruptedException {
        try {
            drained.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // the output file may then miss its last lines; it is only for diagnosis
        }
    }

    @Override
    public void close() throws Exception {
        if (!process.isAlive()) {
            return;
        }
        try {
            signal("CONT"); // a paused JVM cannot run its shutdown hook
        } catch (IOException | IllegalStateException ignored) {
            // gone already
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
