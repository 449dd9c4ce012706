package io.synrep.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real headless Chromium, driven by its command line only: {@code --dump-dom} prints the DOM after the page's
 * scripts ran for a virtual-time budget, {@code --screenshot} saves a PNG. Each run gets a fresh profile directory.
 *
 * <p>Without a {@code chromium} binary the calling test is skipped with a message, unless the environment sets
 * {@code SYNREP_REQUIRE_BROWSER=1} (CI does), in which case it fails.
 */
final class HeadlessBrowser {
    static final String REQUIRE = "SYNREP_REQUIRE_BROWSER";
    private final Path binary;

    private HeadlessBrowser(Path binary) {
        this.binary = binary;
    }

    /** The browser, or the test is skipped (failed under {@value #REQUIRE}=1) when none is installed. */
    static HeadlessBrowser require() {
        Optional<Path> found = locate();
        if (found.isEmpty()) {
            String why = "no chromium found on PATH or at $SYNREP_CHROMIUM (install it: apt-get install -y chromium)";
            if ("1".equals(System.getenv(REQUIRE))) {
                fail(why + "; " + REQUIRE + "=1 says the browser test must run here");
            }
            Assumptions.abort("status page browser test skipped: " + why);
        }
        return new HeadlessBrowser(found.get());
    }

    private static Optional<Path> locate() {
        String explicit = System.getenv("SYNREP_CHROMIUM");
        if (explicit != null && !explicit.isBlank()) {
            return Optional.of(Path.of(explicit)).filter(Files::isExecutable);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** The DOM after the page ran for {@code budgetMillis} of virtual time. */
    String dumpDom(String url, int budgetMillis) throws IOException, InterruptedException {
        return run(List.of("--dump-dom", "--virtual-time-budget=" + budgetMillis, url));
    }

    /** Saves a PNG of the page after it ran for {@code budgetMillis} of virtual time. */
    void screenshot(String url, Path png, int width, int height, int budgetMillis)
            throws IOException, InterruptedException {
        Files.deleteIfExists(png);
        run(List.of("--screenshot=" + png.toAbsolutePath(), "--window-size=" + width + "," + height,
                "--hide-scrollbars", "--virtual-time-budget=" + budgetMillis, url));
        if (!Files.isRegularFile(png) || Files.size(png) == 0) {
            fail("chromium wrote no screenshot to " + png);
        }
    }

    private String run(List<String> args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("synrep-chromium");
        Path stdout = Files.createTempFile("synrep-chromium", ".out");
        Path stderr = Files.createTempFile("synrep-chromium", ".err");
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                fail("chromium did not finish within 90 s: " + tail(stderr));
            }
            if (p.exitValue() != 0) {
                fail("chromium exited with " + p.exitValue() + ": " + tail(stderr));
            }
            return Files.readString(stdout, StandardCharsets.UTF_8);
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static String tail(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8);
        return s.length() <= 2000 ? s : s.substring(s.length() - 2000);
    }
}
