/**
 * Synrep: a PostgreSQL writer's WAL as Synapse-style replication streams for many readers.
 *
 * <p>Data flows one way, one package per stage:
 *
 * <pre>
 *   writer ──commits──▶ PostgreSQL ──logical slot (pgoutput)──┐
 *                                                            ▼
 *   capture   Debezium Embedded; CaptureConsumer buffers a transaction until its END record,
 *             appends it to the sink, and only then marks it processed (the slot advances)
 *                                                            ▼
 *   streams   Catalog + TransactionMapper: table changes ──▶ stream rows, encoded once, into the
 *             TransactionRows capture gives it (a buffer that spills a large transaction to disk);
 *             every row of a transaction gets its commit LSN as position
 *                                                            ▼
 *   log       a TransactionSink: today StreamLog, retained rows per stream, read after a token,
 *             waiters woken on append                        ◀── seam: where captured transactions go
 *                                                            ▼
 *   http      GET /_synapse/replication: long-poll without a thread per waiting request
 *             (reads the log)                                ◀── seam: where served rows come from
 *                                                            ▼
 *   (network) ──▶ readers: client (the reader library) ──▶ worker, tail
 * </pre>
 *
 * <p>{@link Relay} is the composition root: it assembles saved state, slot setup, log, capture and HTTP,
 * starts them in that order and stops them in reverse, and runs the runtime policies (WAL guard, progress, schema
 * check) on one ticker; both seams are named there. {@code Main} is the launcher: it hands the command line
 * to {@code cli}, whose commands start a relay, a worker, the synthetic writer ({@code writer}), a reader
 * ({@code tail}), the embedded database ({@code embedded}) or the scenarios of {@code bench}.
 *
 * <p>{@code protocol} holds the wire both ends share (endpoints, headers, error codes, tokens, the bytes of rows and
 * answers) and the one retry policy; it imports no other Synrep package, and {@code client} imports only it.
 * {@code config} holds the validated settings (it uses only {@code protocol}, to parse LSNs and tokens). {@code PackageBoundariesTest} checks the map: no package cycle, and
 * each package uses only the packages its stage may.
 */
package io.synrep;
