/**
 * An embedded PostgreSQL with logical WAL, for {@code demo}, {@code bench} and the tests. Uses no other Synrep
 * package.
 */
package io.synrep.embedded;
