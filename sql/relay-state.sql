-- Optional: the table where `synrep serve --offset-store table` keeps its state (Debezium offsets, retention
-- horizon, epoch), one row per replication slot. The relay creates it when absent; create it yourself when the
-- relay's role may not create tables, and grant that role SELECT, INSERT and UPDATE on it.
CREATE TABLE IF NOT EXISTS synrep_state (
    slot     text PRIMARY KEY,
    state    text NOT NULL,
    saved_at timestamptz NOT NULL
);
