package io.synrep.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A relay as an operator runs it: {@code synrep serve} in its own JVM (same class path as the benchmark), attached to
 * the benchmark's database. A separate process keeps the clients' sockets out of the relay's file descriptors and
 * lets its heap, threads and CPU time be measured on their own.
 */
final class RelayChild implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("Synrep relay serving http://[^:]+:(\\d+)/");
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Linux clock ticks per second for /proc/PID/stat (USER_HZ is 100 on every common kernel). */
    private static final long TICKS_PER_SECOND = 100;

    private final Process process;
    private final Path output;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private RelayChild(Process process, Path output, int port) {
        this.process = process;
        this.output = output;
        this.port = port;
    }

    static RelayChild start(String pgUrl, String slot, Path dataDir, List<String> jvmOptions) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.synrep.Main");
        cmd.addAll(List.of("serve", "--pg-url", pgUrl, "--listen", "127.0.0.1:0", "--slot", slot,
                "--publication", BenchDatabase.PUBLICATION, "--data-dir", dataDir.toString(),
                "--retention-rows", "5000000", "--max-timeout-ms", "600000"));
        Path out = dataDir.resolve("relay.log");
        Files.createDirectories(dataDir);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // a bench stopped with Ctrl-C must not leave its relay running
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "bench-relay-stop"));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Files.writeString(out, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                    Matcher m = SERVING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
            port.complete(-1);
        }, "bench-relay-output");
        pump.setDaemon(true);
        pump.start();
        int serving;
        try {
            serving = port.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            serving = -1;
        }
        if (serving < 0) {
            p.destroyForcibly();
            throw new IllegalStateException("the relay process did not start; its output is in " + out);
        }
        return new RelayChild(p, out, serving);
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    Path output() {
        return output;
    }

    /** The relay's {@code /health} body. */
    JsonNode health() throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/health"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        return JSON.readTree(r.body());
    }

    /** Waits until the relay's position reaches {@code position} (it has captured everything before it). */
    void awaitPosition(long position, Duration within) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (health().path("position").asLong(-1) < position) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the relay did not reach position " + position + " within " + within
                        + " (it is at " + health().path("position").asLong(-1) + "); see " + output);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits until capture really streams: commits probe rows until one is delivered, so that no scenario's timing
     * includes the relay's start (Debezium connecting, its first batch).
     */
    void awaitCapturing(BenchDatabase db, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        try (Poller poller = new Poller(base(), 1)) {
            while (true) {
                long token = health().path("position").asLong();
                long id = db.writeRow();
                Poller.Reply r = poller.poll("device_lists", Long.toString(token), 2_000, 100, true).get();
                for (long got : r.streamIds()) {
                    if (got == id) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the relay captured no probe row within " + within + "; see "
                            + output);
                }
            }
        }
    }

    /** Waits until {@code n} long-polls are parked in the relay. */
    void awaitWaiting(int n, Duration within) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        int seen;
        while ((seen = health().path("waiting").asInt(-1)) != n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(seen + " long-polls parked in the relay, expected " + n);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Live heap after a full collection, in bytes ({@code jcmd PID GC.run}, then {@code GC.heap_info}), or -1 when
     * jcmd is not available.
     */
    long liveHeapBytes() throws IOException, InterruptedException {
        String jcmd = jcmd();
        if (jcmd == null) {
            return -1;
        }
        run(jcmd, Long.toString(pid()), "GC.run");
        String info = run(jcmd, Long.toString(pid()), "GC.heap_info");
        Matcher m = HEAP_USED.matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }

    /** {@code jcmd PID GC.class_histogram}: live objects by class (after a full collection), or a note without jcmd. */
    String classHistogram() throws IOException, InterruptedException {
        String jcmd = jcmd();
        return jcmd == null ? "jcmd not found\n" : run(jcmd, Long.toString(pid()), "GC.class_histogram");
    }

    /** The relay JVM's thread count, from /proc (-1 where there is no /proc). */
    int threads() throws IOException {
        Path status = Path.of("/proc", Long.toString(pid()), "status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("Threads:")) {
                return Integer.parseInt(line.substring(8).trim());
            }
        }
        return -1;
    }

    /** CPU time the relay process has used (user + system), in milliseconds, from /proc (-1 without it). */
    long cpuMillis() throws IOException {
        Path stat = Path.of("/proc", Long.toString(pid()), "stat");
        if (!Files.exists(stat)) {
            return -1;
        }
        String s = Files.readString(stat);
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        // fields after the command: state(3) ... utime(14) stime(15), i.e. indexes 11 and 12 here
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000 / TICKS_PER_SECOND;
    }

    static String jcmd() {
        Path own = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (Files.isExecutable(own)) {
            return own.toString();
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, "jcmd");
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
