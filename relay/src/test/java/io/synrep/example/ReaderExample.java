package io.synrep.example;

import io.synrep.client.ReaderCache;
import io.synrep.client.ReplicationClient;
import io.synrep.client.TokenStore;
import io.synrep.client.synapse.SlavedStores;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * The example of docs/readers.md ("Writing a reader"), compiled with the tests so that it cannot drift from the library.
 * Not run by the tests (it needs a relay and a database).
 */
final class ReaderExample {
    private ReaderExample() {}

    static void run(String relayUrl, String jdbcUrl) throws InterruptedException {
        // the ready-made stores: events, receipts, account data, push, presence, the caches stream
        SlavedStores stores = SlavedStores.open(jdbcUrl, new Properties(), 4, 100_000);

        // a cache of your own: invalidated by rows of a stream you follow
        ReaderCache<String, String> displayNames = new ReaderCache<>("get_display_name", 10_000);

        ReplicationClient client = stores.attach(ReplicationClient.builder(URI.create(relayUrl)))
                .on("events", row -> {
                    if ("m.room.member".equals(row.text("type"))) {
                        displayNames.invalidate(row.text("state_key"));
                    }
                })
                .onResync(displayNames::invalidateAll) // 410 or a new epoch: drop what came from older rows
                .tokenStore(TokenStore.file(Path.of("reader.tokens.json")))
                .build()
                .start();

        // wait until every row committed at or before a position is handled, then read without staleness
        long p = client.position();
        client.awaitPosition(p, Duration.ofSeconds(5));
        System.out.println(stores.events().latestEvents("!room:example.org", 10));
        client.close();
        stores.close();
    }
}
