package io.synrep.it;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code java -jar target/synrep.jar serve ...} in its own JVM, as an operator runs it. Learns the HTTP port from
 * the line the relay prints, keeps its output in a file for diagnosis.
 */
public final class RelayProcess implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("Synrep relay serving http://[^:]+:(\\d+)/");
    private final Process process;
    private final Path output;
    private final int port;

    private RelayProcess(Process process, Path output, int port) {
        this.process = process;
        this.output = output;
        this.port = port;
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
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar());
        cmd.add("serve");
        cmd.addAll(serveArgs);
        Path out = Files.createTempFile("synrep-relay", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Files.writeString(out, line + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
                    Matcher m = SERVING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
            port.complete(-1);
        }, "relay-output");
        pump.setDaemon(true);
        pump.start();
        int p0;
        try {
            p0 = port.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IllegalStateException("relay did not start: " + Files.readString(out), e);
        }
        if (p0 < 0) {
            throw new IllegalStateException("relay exited: " + Files.readString(out));
        }
        return new RelayProcess(p, out, p0);
    }

    public int port() {
        return port;
    }

    public String base() {
        return "http://127.0.0.1:" + port;
    }

    public String output() throws IOException {
        return Files.readString(output);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
