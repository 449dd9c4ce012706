package io.synrep.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.synrep.client.ReplicationClient;
import io.synrep.client.TokenStore;
import io.synrep.client.Tokens;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * A reader process for crash tests ({@code java -cp test-classes:synrep.jar io.synrep.it.CrashingReader RELAY
 * TOKENS HANDLED [FREEZE_AFTER_DEVICE]}): the real {@link ReplicationClient} with {@link TokenStore#file}, following
 * {@code device_lists}. Every handled row is appended at once (one unbuffered write, so it survives SIGKILL) to
 * HANDLED as {@code position<TAB>row json}. With FREEZE_AFTER_DEVICE, the token save that follows the response
 * holding the row with that device id prints {@code FROZEN BEFORE SAVE} and never returns, so the test can kill
 * the process exactly between handling rows and saving its tokens.
 */
public final class CrashingReader {
    public static final String FROZEN = "FROZEN BEFORE SAVE";
    public static final String READING = "CRASHING READER STARTED";

    private CrashingReader() {}

    public static void main(String[] args) throws Exception {
        URI relay = URI.create(args[0]);
        TokenStore file = TokenStore.file(Path.of(args[1]));
        FileOutputStream handled = new FileOutputStream(args[2], true);
        String freezeAfter = args.length > 3 ? args[3] : null;
        boolean[] freezeNextSave = {false};
        ObjectMapper json = new ObjectMapper();
        TokenStore store = new TokenStore() {
            @Override
            public Optional<Tokens> load() {
                return file.load();
            }

            @Override
            public void save(Tokens tokens) {
                if (freezeNextSave[0]) {
                    System.out.println(FROZEN + " " + tokens);
                    System.out.flush();
                    try {
                        new CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                file.save(tokens);
            }
        };
        ReplicationClient client = ReplicationClient.builder(relay)
                .on("device_lists", row -> {
                    try {
                        handled.write((row.position() + "\t" + json.writeValueAsString(row.values()) + "\n")
                                .getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    if (row.text("device_id").equals(freezeAfter)) {
                        freezeNextSave[0] = true; // the handler and save run on the one poll thread
                    }
                })
                .tokenStore(store).from("-1").pollTimeout(Duration.ofSeconds(1))
                .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .build().start();
        System.out.println(READING);
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(client::close));
        new CountDownLatch(1).await();
    }
}
