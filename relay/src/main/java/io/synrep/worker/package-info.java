/**
 * The worker ({@code synrep worker}): a reader process whose slaved stores (cached reads of the shared database) are
 * kept fresh by a {@code ReplicationClient} following the relay, and its read API. Built on the reader library and
 * the HTTP listener only; nothing of the relay's capture, log or streams.
 */
package io.synrep.worker;
