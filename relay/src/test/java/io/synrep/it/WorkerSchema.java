package io.synrep.it;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The two Synapse schemas the multi-process consistency test runs on, and what differs between them for the test:
 * the database it creates, the streams a worker follows (the test's own relay reader follows the same), and the
 * receipt threads the writer uses.
 * <ul>
 *   <li>{@link #SEED}: the seed-era tables ({@code sql/schema.sql}), catalog {@code synapse-seed}; no threads;</li>
 *   <li>{@link #CURRENT}: the mirror of current Synapse ({@code synapse-current/schema.sql}) after
 *       {@code synrep prepare --apply}, catalog {@code synapse-current}: one {@code account_data} stream, pusher
 *       deletions on {@code pushers}, threaded receipts (the main timeline, {@code null}, and thread
 *       {@code main}).</li>
 * </ul>
 */
enum WorkerSchema {
    SEED(WorkerTap.STREAMS, Collections.singletonList(null)),
    CURRENT(List.of("events", "backfill", "presence", "receipts", "push_rules", "pushers", "caches", "device_lists",
            "to_device", "account_data"), Arrays.asList(null, "main"));

    /** The streams a worker over this schema follows ({@code SlavedStores#streams()}). */
    final List<String> streams;
    /** The {@code thread_id}s of receipts (null: unthreaded). */
    final List<String> receiptThreads;

    WorkerSchema(List<String> streams, List<String> receiptThreads) {
        this.streams = streams;
        this.receiptThreads = receiptThreads;
    }

    /**
     * A fresh database of this schema, ready for a relay whose slot and publication are named after the database
     * (current Synapse's tables need {@code synrep prepare --apply} first, as an operator runs it).
     */
    String freshDatabase(String prefix) {
        if (this == SEED) {
            return TestPostgres.freshDatabase(prefix);
        }
        String url = TestPostgres.freshCurrentSynapseDatabase(prefix);
        SynapseAttachIT.cli("prepare", "--apply", "--pg-url", url, "--publication", SqlRows.dbName(url),
                "--catalog", "synapse-current");
        return url;
    }
}
