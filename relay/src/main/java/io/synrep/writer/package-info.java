/**
 * The synthetic writer ({@code synrep writer}, {@code demo}): concurrent Synapse-like transactions against the
 * schema of {@code sql/schema.sql}, at a given rate. Uses no other Synrep package.
 */
package io.synrep.writer;
