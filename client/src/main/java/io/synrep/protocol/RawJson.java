package io.synrep.protocol;

/** A value that already is JSON text (a {@code json}/{@code jsonb} column) and is embedded as is. */
public record RawJson(String json) {}
