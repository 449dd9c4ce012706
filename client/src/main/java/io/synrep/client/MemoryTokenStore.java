package io.synrep.client;

import java.util.Optional;

final class MemoryTokenStore implements TokenStore {
    private volatile Tokens tokens;

    @Override
    public Optional<Tokens> load() {
        return Optional.ofNullable(tokens);
    }

    @Override
    public void save(Tokens t) {
        tokens = t;
    }
}
