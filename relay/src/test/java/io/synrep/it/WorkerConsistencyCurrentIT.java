package io.synrep.it;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The multi-process consistency check of {@link WorkerConsistencyIT} on current Synapse's schema
 * ({@code synapse-current/schema.sql}, prepared with {@code synrep prepare --apply}; the relay serves the
 * {@code synapse-current} catalog and both workers read the current tables): the writer issues Synapse's own
 * statements ({@link SynapseStatements}: upserts of receipts with {@code thread_id}, of account data and room
 * account data, tags with {@code room_tags_revisions}, push rules in {@code push_rules} with their change log,
 * pushers with {@code deleted_pushers}, presence delete-then-insert, events with {@code state_key},
 * {@code room_memberships} and state deltas), {@value WorkerConsistencyIT#OPERATIONS} operations; every answer must
 * reflect every write committed at or before its position, and once past the last commit every key must be answered
 * as the database has it.
 *
 * <p>Prints a {@code FIGURES worker consistency (synapse-current)} line.
 */
class WorkerConsistencyCurrentIT {
    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyAnswerReflectsEveryWriteCommittedAtOrBeforeItsPositionOnTheCurrentSchema() throws Exception {
        WorkerConsistencyIT.run(WorkerSchema.CURRENT);
    }
}
