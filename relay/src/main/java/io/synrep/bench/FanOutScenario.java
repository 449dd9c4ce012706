package io.synrep.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Scenario 5, fan-out cost: N readers parked at the same position are answered by one commit; the relay's count of
 * response bodies assembled ({@code /health} "encodings") and its CPU time show what each extra reader costs.
 */
final class FanOutScenario {
    private static final int ROUNDS = 3;
    private final BenchDatabase db;
    private final RelayChild relay;
    private final double scale;
    private final PrintStream out;

    FanOutScenario(BenchDatabase db, RelayChild relay, double scale, PrintStream out) {
        this.db = db;
        this.relay = relay;
        this.scale = scale;
        this.out = out;
    }

    List<Result> run() throws Exception {
        List<Result> results = new ArrayList<>();
        int previous = 0;
        for (int n : new int[] {1, 10, 100, 1000}) {
            int readers = Bench.scaledCount(n, scale);
            if (readers != previous) {
                results.add(measure(readers));
            }
            previous = readers;
        }
        return results;
    }

    private Result measure(int n) throws Exception {
        long encodings = 0;
        long responses = 0;
        long cpu = 0;
        try (Poller poller = new Poller(relay.base(), 2)) {
            for (int round = 0; round < ROUNDS; round++) {
                relay.awaitWaiting(0, Duration.ofSeconds(60));
                long token = relay.health().path("position").asLong();
                List<CompletableFuture<Poller.Reply>> replies = Readers.park(relay, poller, token, n, 120_000);
                JsonNode before = relay.health();
                long cpuBefore = relay.cpuMillis();
                db.writeRow();
                long rows = Readers.await(replies, Duration.ofSeconds(120));
                long cpuAfter = relay.cpuMillis();
                JsonNode after = relay.health();
                if (rows != n) {
                    throw new IllegalStateException(n + " readers received " + rows + " rows, expected one each");
                }
                encodings += after.path("encodings").asLong() - before.path("encodings").asLong();
                responses += after.path("responses").asLong() - before.path("responses").asLong();
                cpu += cpuAfter - cpuBefore;
            }
        }
        double perRound = encodings / (double) ROUNDS;
        double cpuPerResponse = cpu * 1000.0 / Math.max(1, responses);
        out.printf("[5] fan-out: %,d readers: %.1f encodings per commit for %,d responses; relay CPU %.0f us per "
                + "response%n", n, perRound, responses / ROUNDS, cpuPerResponse);
        return new Result(String.format("5. fan-out, %,d readers at one position (encodings per commit)", n),
                String.format("%.1f; relay CPU %.0f us/response", perRound, cpuPerResponse),
                String.format("%,d (one per response)", n), String.format("%.3f", perRound / n),
                "1 encoding, not N", n == 1 ? null : perRound <= 1.5);
    }
}
