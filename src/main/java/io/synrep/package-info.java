/**
 * Synrep: a PostgreSQL writer's WAL as Synapse-style replication streams for many readers.
 *
 * <p>Data flows one way, one package per stage:
 *
 * <pre>
 *   writer ──commits──▶ PostgreSQL ──logical slot (pgoutput)──┐
 *                                                            ▼
 *   capture   Debezium Embedded; CaptureConsumer buffers a transaction until its END record,
 *             appends it to the log, and only then marks it processed (the slot advances)
 *                                                            ▼
 *   streams   Catalog + TransactionMapper: table changes ──▶ stream rows, encoded once, into the
 *             TransactionRows capture gives it (a buffer that spills a large transaction to disk);
 *             every row of a transaction gets its commit LSN as position
 *                                                            ▼
 *   log       a TransactionSink: today StreamLog, retained rows per stream, read after a token,
 *             waiters woken on append
 *                                                            ▼
 *   http      GET /_synapse/replication: long-poll without a thread per waiting request
 *                                                            ▼
 *   (network) ──▶ readers: tail, or any Synapse-style worker
 * </pre>
 *
 * <p>{@code protocol} holds the wire both ends share (endpoints, headers, error codes, tokens, the bytes of rows and
 * answers) and the one retry policy; it imports no other Synrep package, and {@code client} imports only it.
 * {@code config} holds the validated settings; {@code cli} the commands and the composition of a running {@code Relay}.
 */
package io.synrep;
