/**
 * The wire contract between the relay and its readers, in one place; the server ({@code http}), the reader library
 * ({@code client}), {@code tail} and the benchmark take it from here instead of spelling it out.
 *
 * <ul>
 *   <li>{@link io.synrep.protocol.Endpoint}: paths, query parameters, headers, the poll query.</li>
 *   <li>{@link io.synrep.protocol.Position}: tokens ({@code -1}, {@code now}, positions, {@code X/Y} LSNs).</li>
 *   <li>{@link io.synrep.protocol.PollAnswer}, {@link io.synrep.protocol.CatalogAnswer},
 *       {@link io.synrep.protocol.ErrorAnswer} with {@link io.synrep.protocol.ErrorCode}: the bodies and their
 *       field names.</li>
 *   <li>{@link io.synrep.protocol.RowEncoder} and {@link io.synrep.protocol.RawJson}: a row's values as JSON,
 *       encoded once at capture.</li>
 *   <li>{@link io.synrep.protocol.Backoff}: the retry policy readers (and capture's reconnects) use.</li>
 * </ul>
 *
 * <p>Depends on the JDK and Jackson only; no other Synrep package (checked by {@code PackageBoundariesTest}).
 */
package io.synrep.protocol;
