package io.synrep.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code java [jvmOptions] -jar synrep.jar COMMAND [args]} with its output copied to a file and watched for the
 * line announcing the port it serves on. Shared by {@link RelayProcess} and {@link WorkerProcess}.
 *
 * @param port    completes with the announced port, or -1 when the output ends first
 * @param drained completes when the process closed its output (everything it printed is in {@code output})
 */
record JarProcess(Process process, Path output, CompletableFuture<Integer> port, CompletableFuture<Void> drained) {
    static JarProcess launch(String command, List<String> jvmOptions, List<String> args, Pattern serving)
            throws IOException {
        return launch(command, jvmOptions, args, serving, Map.of());
    }

    /** @param env environment changes: a null value removes the variable */
    static JarProcess launch(String command, List<String> jvmOptions, List<String> args, Pattern serving,
                             Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(RelayProcess.jar());
        cmd.add(command);
        cmd.addAll(args);
        Path out = Files.createTempFile("synrep-" + command, ".log");
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
        env.forEach((k, v) -> {
            if (v == null) {
                builder.environment().remove(k);
            } else {
                builder.environment().put(k, v);
            }
        });
        Process p = builder.start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        CompletableFuture<Void> drained = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Files.writeString(out, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                    Matcher m = serving.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
            port.complete(-1);
            drained.complete(null);
        }, command + "-output");
        pump.setDaemon(true);
        pump.start();
        return new JarProcess(p, out, port, drained);
    }
}
