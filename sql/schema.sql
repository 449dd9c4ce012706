-- Synrep: the Synapse tables that the built-in stream catalog reads.
--
-- Table names, column names and column types follow Synapse's main PostgreSQL schema, so the
-- built-in catalog "synapse-seed" (src/main/resources/io/synrep/streams/catalog-synapse-seed.json)
-- works unchanged against a real Synapse database. Only the 18 tables behind the replication
-- streams are created here, with the unique constraints Synapse relies on for its upserts and the
-- indexes its stream readers use.
--
-- Idempotent: every statement is IF NOT EXISTS or a no-op when repeated, so the script can be run
-- against a fresh database or again against one it already set up:
--
--     psql -d synapse -v ON_ERROR_STOP=1 -f sql/schema.sql
--
-- Receipts are modelled without threads (no thread_id column): one receipt per
-- (room_id, receipt_type, user_id), as in Synapse before threaded receipts.

-- ---------------------------------------------------------------------------------------------
-- Stream id sequences (Synapse's names). Sequence advances are not written to the logical
-- replication stream; readers see the ids only as column values of the rows that use them.
-- ---------------------------------------------------------------------------------------------

CREATE SEQUENCE IF NOT EXISTS events_stream_seq;
-- Backfilled events get stream_ordering = -nextval('events_backfill_stream_seq').
CREATE SEQUENCE IF NOT EXISTS events_backfill_stream_seq;
CREATE SEQUENCE IF NOT EXISTS receipts_sequence;
CREATE SEQUENCE IF NOT EXISTS presence_stream_sequence;
-- Shared by account_data, room_account_data and room_tags_revisions, as in Synapse.
CREATE SEQUENCE IF NOT EXISTS account_data_sequence;
CREATE SEQUENCE IF NOT EXISTS push_rules_stream_sequence;
-- Shared by pushers.id and deleted_pushers.stream_id, as in Synapse.
CREATE SEQUENCE IF NOT EXISTS pushers_sequence;
CREATE SEQUENCE IF NOT EXISTS cache_invalidation_stream_seq;
-- Shared by device_inbox and device_federation_outbox (the to_device stream).
CREATE SEQUENCE IF NOT EXISTS device_inbox_sequence;
CREATE SEQUENCE IF NOT EXISTS public_room_list_stream_sequence;
CREATE SEQUENCE IF NOT EXISTS device_lists_sequence;

-- ---------------------------------------------------------------------------------------------
-- Events
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS events (
    topological_ordering bigint NOT NULL,
    event_id text NOT NULL,
    type text NOT NULL,
    room_id text NOT NULL,
    content text,
    unrecognized_keys text,
    processed boolean NOT NULL,
    outlier boolean NOT NULL,
    depth bigint DEFAULT 0 NOT NULL,
    origin_server_ts bigint,
    received_ts bigint,
    sender text,
    contains_url boolean,
    instance_name text,
    stream_ordering bigint,
    state_key text,
    rejection_reason text,
    CONSTRAINT events_event_id_key UNIQUE (event_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_ordering ON events (stream_ordering);
CREATE INDEX IF NOT EXISTS events_order_room ON events (room_id, topological_ordering, stream_ordering);
CREATE INDEX IF NOT EXISTS events_room_stream ON events (room_id, stream_ordering);
CREATE INDEX IF NOT EXISTS events_ts ON events (origin_server_ts, stream_ordering);

CREATE TABLE IF NOT EXISTS event_json (
    event_id text NOT NULL,
    room_id text NOT NULL,
    internal_metadata text NOT NULL,
    json text NOT NULL,
    format_version integer,
    CONSTRAINT event_json_event_id_key UNIQUE (event_id)
);

CREATE TABLE IF NOT EXISTS state_events (
    event_id text NOT NULL,
    room_id text NOT NULL,
    type text NOT NULL,
    state_key text NOT NULL,
    prev_state text,
    CONSTRAINT state_events_event_id_key UNIQUE (event_id)
);

CREATE TABLE IF NOT EXISTS redactions (
    event_id text NOT NULL,
    redacts text NOT NULL,
    have_censored boolean DEFAULT false NOT NULL,
    received_ts bigint,
    CONSTRAINT redactions_event_id_key UNIQUE (event_id)
);
CREATE INDEX IF NOT EXISTS redactions_redacts ON redactions (redacts);
CREATE INDEX IF NOT EXISTS redactions_have_censored_ts ON redactions (received_ts) WHERE NOT have_censored;

-- ---------------------------------------------------------------------------------------------
-- Receipts and presence
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS receipts_linearized (
    stream_id bigint NOT NULL,
    room_id text NOT NULL,
    receipt_type text NOT NULL,
    user_id text NOT NULL,
    event_id text NOT NULL,
    data text NOT NULL,
    instance_name text,
    event_stream_ordering bigint,
    CONSTRAINT receipts_linearized_uniqueness UNIQUE (room_id, receipt_type, user_id)
);
CREATE INDEX IF NOT EXISTS receipts_linearized_id ON receipts_linearized (stream_id);
CREATE INDEX IF NOT EXISTS receipts_linearized_room_stream ON receipts_linearized (room_id, stream_id);
CREATE INDEX IF NOT EXISTS receipts_linearized_user ON receipts_linearized (user_id);

CREATE TABLE IF NOT EXISTS presence_stream (
    stream_id bigint,
    user_id text,
    state text,
    last_active_ts bigint,
    last_federation_update_ts bigint,
    last_user_sync_ts bigint,
    status_msg text,
    currently_active boolean,
    instance_name text
);
CREATE INDEX IF NOT EXISTS presence_stream_id ON presence_stream (stream_id, user_id);
CREATE INDEX IF NOT EXISTS presence_stream_user_id ON presence_stream (user_id);

-- ---------------------------------------------------------------------------------------------
-- Account data and tags
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS account_data (
    user_id text NOT NULL,
    account_data_type text NOT NULL,
    stream_id bigint NOT NULL,
    content text NOT NULL,
    instance_name text,
    CONSTRAINT account_data_uniqueness UNIQUE (user_id, account_data_type)
);
CREATE INDEX IF NOT EXISTS account_data_stream_id ON account_data (user_id, stream_id);

CREATE TABLE IF NOT EXISTS room_account_data (
    user_id text NOT NULL,
    room_id text NOT NULL,
    account_data_type text NOT NULL,
    stream_id bigint NOT NULL,
    content text NOT NULL,
    instance_name text,
    CONSTRAINT room_account_data_uniqueness UNIQUE (user_id, room_id, account_data_type)
);
CREATE INDEX IF NOT EXISTS room_account_data_stream_id ON room_account_data (user_id, stream_id);

CREATE TABLE IF NOT EXISTS room_tags (
    user_id text NOT NULL,
    room_id text NOT NULL,
    tag text NOT NULL,
    content text NOT NULL,
    CONSTRAINT room_tag_uniqueness UNIQUE (user_id, room_id, tag)
);

CREATE TABLE IF NOT EXISTS room_tags_revisions (
    user_id text NOT NULL,
    room_id text NOT NULL,
    stream_id bigint NOT NULL,
    instance_name text,
    CONSTRAINT room_tag_revisions_uniqueness UNIQUE (user_id, room_id)
);

-- ---------------------------------------------------------------------------------------------
-- Push rules and pushers
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS push_rules_stream (
    stream_id bigint NOT NULL,
    event_stream_ordering bigint NOT NULL,
    user_id text NOT NULL,
    rule_id text NOT NULL,
    op text NOT NULL,
    priority_class smallint,
    priority integer,
    conditions text,
    actions text
);
CREATE INDEX IF NOT EXISTS push_rules_stream_id ON push_rules_stream (stream_id);
CREATE INDEX IF NOT EXISTS push_rules_stream_user_stream_id ON push_rules_stream (user_id, stream_id);

CREATE TABLE IF NOT EXISTS pushers (
    id bigint NOT NULL,
    user_name text NOT NULL,
    access_token bigint,
    profile_tag text NOT NULL,
    kind text NOT NULL,
    app_id text NOT NULL,
    app_display_name text NOT NULL,
    device_display_name text NOT NULL,
    pushkey text NOT NULL,
    ts bigint NOT NULL,
    lang text,
    data text,
    last_stream_ordering bigint,
    last_success bigint,
    failing_since bigint,
    CONSTRAINT pushers2_pkey PRIMARY KEY (id),
    CONSTRAINT pushers2_app_id_pushkey_user_name_key UNIQUE (app_id, pushkey, user_name)
);

CREATE TABLE IF NOT EXISTS deleted_pushers (
    stream_id bigint NOT NULL,
    app_id text NOT NULL,
    pushkey text NOT NULL,
    user_id text NOT NULL
);
CREATE INDEX IF NOT EXISTS deleted_pushers_stream_id ON deleted_pushers (stream_id);

-- ---------------------------------------------------------------------------------------------
-- Cache invalidations (Synapse's single-writer table, before cache_invalidation_stream_by_instance)
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS cache_invalidation_stream (
    stream_id bigint,
    cache_func text,
    keys text[],
    invalidation_ts bigint
);
CREATE INDEX IF NOT EXISTS cache_invalidation_stream_id ON cache_invalidation_stream (stream_id);

-- ---------------------------------------------------------------------------------------------
-- To-device messages
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS device_inbox (
    user_id text NOT NULL,
    device_id text NOT NULL,
    stream_id bigint NOT NULL,
    message_json text NOT NULL,
    instance_name text
);
CREATE INDEX IF NOT EXISTS device_inbox_stream_id_user_id ON device_inbox (stream_id, user_id);
CREATE INDEX IF NOT EXISTS device_inbox_user_stream_id ON device_inbox (user_id, device_id, stream_id);

CREATE TABLE IF NOT EXISTS device_federation_outbox (
    destination text NOT NULL,
    stream_id bigint NOT NULL,
    queued_ts bigint NOT NULL,
    messages_json text NOT NULL,
    instance_name text
);
CREATE INDEX IF NOT EXISTS device_federation_outbox_destination_id ON device_federation_outbox (destination, stream_id);
CREATE INDEX IF NOT EXISTS device_federation_outbox_id ON device_federation_outbox (stream_id);

-- ---------------------------------------------------------------------------------------------
-- Public room list and device lists
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS public_room_list_stream (
    stream_id bigint NOT NULL,
    room_id text NOT NULL,
    visibility boolean NOT NULL,
    appservice_id text,
    network_id text
);
CREATE INDEX IF NOT EXISTS public_room_list_stream_idx ON public_room_list_stream (stream_id);
CREATE INDEX IF NOT EXISTS public_room_list_stream_rm_idx ON public_room_list_stream (room_id, stream_id);
CREATE INDEX IF NOT EXISTS public_room_list_stream_network ON public_room_list_stream (appservice_id, network_id, room_id);

CREATE TABLE IF NOT EXISTS device_lists_stream (
    stream_id bigint NOT NULL,
    user_id text NOT NULL,
    device_id text NOT NULL
);
CREATE INDEX IF NOT EXISTS device_lists_stream_id ON device_lists_stream (stream_id, user_id);
CREATE INDEX IF NOT EXISTS device_lists_stream_user_id ON device_lists_stream (user_id, device_id);

-- ---------------------------------------------------------------------------------------------
-- Replica identity
--
-- pgoutput writes the old row of an UPDATE or DELETE only as far as the replica identity says.
-- With the default (primary key) these tables, most of which have no primary key, would publish
-- no old row at all, and PostgreSQL refuses UPDATE and DELETE on such a table once it is in a
-- publication. FULL makes every UPDATE and DELETE carry the complete old row with its TOASTed
-- values inlined; a column the UPDATE left unchanged that is stored out of line (large content or
-- json) is sent only as "unchanged" in the new row, and with FULL the consumer (Debezium does)
-- takes its value from the old row instead of emitting a placeholder. So the relay can always
-- build whole stream rows from the WAL alone. Setting it again is a no-op.
-- ---------------------------------------------------------------------------------------------

ALTER TABLE events REPLICA IDENTITY FULL;
ALTER TABLE event_json REPLICA IDENTITY FULL;
ALTER TABLE state_events REPLICA IDENTITY FULL;
ALTER TABLE redactions REPLICA IDENTITY FULL;
ALTER TABLE receipts_linearized REPLICA IDENTITY FULL;
ALTER TABLE presence_stream REPLICA IDENTITY FULL;
ALTER TABLE account_data REPLICA IDENTITY FULL;
ALTER TABLE room_account_data REPLICA IDENTITY FULL;
ALTER TABLE room_tags REPLICA IDENTITY FULL;
ALTER TABLE room_tags_revisions REPLICA IDENTITY FULL;
ALTER TABLE push_rules_stream REPLICA IDENTITY FULL;
ALTER TABLE pushers REPLICA IDENTITY FULL;
ALTER TABLE deleted_pushers REPLICA IDENTITY FULL;
ALTER TABLE cache_invalidation_stream REPLICA IDENTITY FULL;
ALTER TABLE device_inbox REPLICA IDENTITY FULL;
ALTER TABLE device_federation_outbox REPLICA IDENTITY FULL;
ALTER TABLE public_room_list_stream REPLICA IDENTITY FULL;
ALTER TABLE device_lists_stream REPLICA IDENTITY FULL;
