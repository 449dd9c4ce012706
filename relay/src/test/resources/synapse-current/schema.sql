-- Mirror of current Synapse's tables that Synrep's current catalog reads, written for tests from
-- the facts in Synapse's full schema 72 and its deltas up to 95; not Synapse's own file.
--
-- Schema version: 95 (the highest delta folder in element-hq/synapse, synapse/storage/schema/main/delta/95).
-- Synapse 1.161.0 was released at SCHEMA_VERSION 94; the 95 folder belongs to the development line
-- after it. SCHEMA_COMPAT_VERSION is 84.
--
-- What is here, and what is deliberately not:
--   * names, column types, NOT NULL, the defaults that matter, primary keys (only where Synapse has
--     one), UNIQUE constraints, unique indexes (partial ones with their WHERE), and the useful
--     non-unique indexes, as a database at the current schema has them once its background
--     updates have run;
--   * no foreign keys, triggers, comments or REPLICA IDENTITY settings. The foreign keys and triggers
--     that Synapse has on these tables are named in the comments so that a test can add them if it
--     needs them;
--   * sequences are created under Synapse's names, but no column takes its default from them, the
--     same as in Synapse (it calls nextval() itself).
--
-- One script for PostgreSQL 14/15, to run in an empty database:
--     psql -v ON_ERROR_STOP=1 -d DB -f schema.sql

-- =============================================================================================
-- Schema bookkeeping
-- =============================================================================================

-- synapse/storage/schema/common/schema_version.sql
CREATE TABLE schema_version (
    lock     char(1) DEFAULT 'X' NOT NULL,
    version  integer NOT NULL,
    upgraded boolean NOT NULL,
    CONSTRAINT schema_version_lock_key UNIQUE (lock),
    CONSTRAINT schema_version_lock_check CHECK (lock = 'X')
);
INSERT INTO schema_version (version, upgraded) VALUES (95, true);

-- synapse/storage/schema/common/schema_version.sql
CREATE TABLE schema_compat_version (
    lock           char(1) DEFAULT 'X' NOT NULL,
    compat_version integer NOT NULL,
    CONSTRAINT schema_compat_version_lock_key UNIQUE (lock),
    CONSTRAINT schema_compat_version_lock_check CHECK (lock = 'X')
);
INSERT INTO schema_compat_version (compat_version) VALUES (84);

-- synapse/storage/schema/common/schema_version.sql (left empty here: a test adds the rows it needs)
CREATE TABLE applied_schema_deltas (
    version integer NOT NULL,
    file    text NOT NULL,
    CONSTRAINT applied_schema_deltas_version_file_key UNIQUE (version, file)
);

-- =============================================================================================
-- Sequences (Synapse's names; see the note in the header)
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres (events_backfill_stream_seq: backfilled events get its negated values)
CREATE SEQUENCE events_stream_seq;
CREATE SEQUENCE events_backfill_stream_seq;
-- main/full_schemas/72/full.sql.postgres; shared by account_data, room_account_data, room_tags_revisions
CREATE SEQUENCE account_data_sequence;
-- main/full_schemas/72/full.sql.postgres
CREATE SEQUENCE receipts_sequence;
-- main/full_schemas/72/full.sql.postgres
CREATE SEQUENCE presence_stream_sequence;
-- main/full_schemas/72/full.sql.postgres (delta/72/08begin_cache_invalidation_seq_at_2.sql.postgres moves it to 2)
CREATE SEQUENCE cache_invalidation_stream_seq;
-- main/full_schemas/72/full.sql.postgres; shared by device_inbox and device_federation_outbox
CREATE SEQUENCE device_inbox_sequence;
-- delta/85/03_new_sequences.sql.postgres; shared by the device list stream tables
CREATE SEQUENCE device_lists_sequence;
-- delta/85/03_new_sequences.sql.postgres
CREATE SEQUENCE push_rules_stream_sequence;
-- delta/85/03_new_sequences.sql.postgres; shared by pushers.id and deleted_pushers.stream_id
CREATE SEQUENCE pushers_sequence;
-- delta/94/11_push_rules_id_sequences.sql.postgres
CREATE SEQUENCE push_rules_id_seq;
CREATE SEQUENCE push_rules_enable_id_seq;
-- delta/73/21_un_partial_stated_room_stream_seq.sql.postgres
CREATE SEQUENCE un_partial_stated_room_stream_sequence;
-- delta/73/23_un_partial_stated_room_stream_seq.sql.postgres (creates the *event* stream's sequence)
CREATE SEQUENCE un_partial_stated_event_stream_sequence;
-- delta/92/04_thread_subscriptions_seq.sql.postgres, delta/92/08_thread_subscriptions_seq_fixup.sql.postgres
CREATE SEQUENCE thread_subscriptions_sequence;

-- =============================================================================================
-- Users
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres; delta/73/03users_approved_column.sql,
-- delta/80/01_users_alter_locked.sql, delta/85/01_add_suspended.sql.
-- users.name is nullable: the unique constraint on it is not a usable replica identity.
CREATE TABLE users (
    name                       text,
    password_hash              text,
    creation_ts                bigint,
    admin                      smallint DEFAULT 0 NOT NULL,
    upgrade_ts                 bigint,
    is_guest                   smallint DEFAULT 0 NOT NULL,
    appservice_id              text,
    consent_version            text,
    consent_server_notice_sent text,
    user_type                  text,
    deactivated                smallint DEFAULT 0 NOT NULL,
    shadow_banned              boolean,
    consent_ts                 bigint,
    approved                   boolean,
    locked                     boolean DEFAULT false NOT NULL,
    suspended                  boolean DEFAULT false NOT NULL,
    CONSTRAINT users_name_key UNIQUE (name)
);
CREATE INDEX users_creation_ts ON users (creation_ts);

-- =============================================================================================
-- Events
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres (state_key and rejection_reason are already in the 72
-- snapshot); delta/73/24_events_jump_to_date_index.sql and delta/88/06_events_received_ts_index.sql
-- (background index updates, definitions in databases/main/events_bg_updates.py and
-- events_worker.py). No primary key; stream_ordering is nullable, so its unique index cannot be the
-- replica identity.
CREATE TABLE events (
    topological_ordering bigint NOT NULL,
    event_id             text NOT NULL,
    type                 text NOT NULL,
    room_id              text NOT NULL,
    content              text,
    unrecognized_keys    text,
    processed            boolean NOT NULL,
    outlier              boolean NOT NULL,
    depth                bigint DEFAULT 0 NOT NULL,
    origin_server_ts     bigint,
    received_ts          bigint,
    sender               text,
    contains_url         boolean,
    instance_name        text,
    stream_ordering      bigint,
    state_key            text,
    rejection_reason     text,
    CONSTRAINT events_event_id_key UNIQUE (event_id)
);
CREATE UNIQUE INDEX events_stream_ordering ON events (stream_ordering);
CREATE INDEX events_order_room ON events (room_id, topological_ordering, stream_ordering);
CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
CREATE INDEX events_ts ON events (origin_server_ts, stream_ordering);
CREATE INDEX event_contains_url_index ON events (room_id, topological_ordering, stream_ordering)
    WHERE contains_url = true AND outlier = false;
CREATE INDEX events_jump_to_date_idx ON events (room_id, origin_server_ts) WHERE NOT outlier;
CREATE INDEX received_ts_idx ON events (received_ts) WHERE type = 'm.room.member';

-- main/full_schemas/72/full.sql.postgres
CREATE TABLE event_json (
    event_id          text NOT NULL,
    room_id           text NOT NULL,
    internal_metadata text NOT NULL,
    json              text NOT NULL,
    format_version    integer,
    CONSTRAINT event_json_event_id_key UNIQUE (event_id)
);

-- main/full_schemas/72/full.sql.postgres (prev_state is no longer written since schema 67)
CREATE TABLE state_events (
    event_id   text NOT NULL,
    room_id    text NOT NULL,
    type       text NOT NULL,
    state_key  text NOT NULL,
    prev_state text,
    CONSTRAINT state_events_event_id_key UNIQUE (event_id)
);

-- main/full_schemas/72/full.sql.postgres; delta/94/01_redactions_recheck.sql.
-- (delta/92/06_redactions_multitarget.* seen in the repository index, which would swap
-- UNIQUE (event_id) for UNIQUE (event_id, redacts), is not applied by released Synapse; left out.)
CREATE TABLE redactions (
    event_id      text NOT NULL,
    redacts       text NOT NULL,
    have_censored boolean DEFAULT false NOT NULL,
    received_ts   bigint,
    recheck       boolean DEFAULT true NOT NULL,
    CONSTRAINT redactions_event_id_key UNIQUE (event_id)
);
CREATE INDEX redactions_redacts ON redactions (redacts);
CREATE INDEX redactions_have_censored_ts ON redactions (received_ts) WHERE NOT have_censored;

-- main/full_schemas/72/full.sql.postgres (event_relations_id is a unique index, not a constraint)
CREATE TABLE event_relations (
    event_id        text NOT NULL,
    relates_to_id   text NOT NULL,
    relation_type   text NOT NULL,
    aggregation_key text
);
CREATE UNIQUE INDEX event_relations_id ON event_relations (event_id);
CREATE INDEX event_relations_relates ON event_relations (relates_to_id, relation_type, aggregation_key);

-- main/full_schemas/72/full.sql.postgres
CREATE TABLE ex_outlier_stream (
    event_stream_ordering bigint NOT NULL,
    event_id              text NOT NULL,
    state_group           bigint NOT NULL,
    instance_name         text,
    CONSTRAINT ex_outlier_stream_pkey PRIMARY KEY (event_stream_ordering)
);

-- main/full_schemas/72/full.sql.postgres; delta/88/04_current_state_delta_index.sql and
-- delta/94/11_current_state_delta_stream_event_id_idx.sql (background index updates, definitions in
-- databases/main/state_deltas.py). No primary key and no unique index: several rows share a stream_id.
CREATE TABLE current_state_delta_stream (
    stream_id     bigint NOT NULL,
    room_id       text NOT NULL,
    type          text NOT NULL,
    state_key     text NOT NULL,
    event_id      text,
    prev_event_id text,
    instance_name text
);
CREATE INDEX current_state_delta_stream_idx ON current_state_delta_stream (stream_id);
CREATE INDEX current_state_delta_stream_room_idx ON current_state_delta_stream (room_id, stream_id);
CREATE INDEX current_state_delta_stream_event_id_idx ON current_state_delta_stream (event_id)
    WHERE event_id IS NOT NULL;

-- main/full_schemas/72/full.sql.postgres; delta/74/03_membership_tables_event_stream_ordering.sql.postgres,
-- delta/74/03_room_membership_index.sql, delta/77/14bg_indices_event_stream_ordering.sql,
-- delta/90/01_add_column_participant_room_memberships_table.sql.
-- Not reproduced: FK event_stream_ordering_fkey (event_stream_ordering) -> events(stream_ordering)
-- NOT VALID, and trigger check_event_stream_ordering (delta/74/04_..._triggers.py).
CREATE TABLE room_memberships (
    event_id              text NOT NULL,
    user_id               text NOT NULL,
    sender                text NOT NULL,
    room_id               text NOT NULL,
    membership            text NOT NULL,
    forgotten             integer DEFAULT 0,
    display_name          text,
    avatar_url            text,
    event_stream_ordering bigint,
    participant           boolean DEFAULT false,
    CONSTRAINT room_memberships_event_id_key UNIQUE (event_id)
);
CREATE INDEX room_memberships_room_id ON room_memberships (room_id);
CREATE INDEX room_memberships_user_id ON room_memberships (user_id);
CREATE INDEX room_memberships_user_room_forgotten ON room_memberships (user_id, room_id) WHERE forgotten = 1;
CREATE INDEX room_membership_user_room_idx ON room_memberships (user_id, room_id);
CREATE INDEX room_memberships_stream_ordering_idx ON room_memberships (event_stream_ordering);

-- =============================================================================================
-- Receipts
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres (thread_id, both *_uniqueness_thread constraints, the
-- partial unique index); delta/73/08thread_receipts_non_null.sql.postgres (drops the old
-- receipts_linearized_uniqueness constraint); delta/86/02_receipts_event_id_index.sql (background
-- index update). No primary key; the only non-partial unique constraint includes the nullable
-- thread_id, so nothing here can be the replica identity.
CREATE TABLE receipts_linearized (
    stream_id             bigint NOT NULL,
    room_id               text NOT NULL,
    receipt_type          text NOT NULL,
    user_id               text NOT NULL,
    event_id              text NOT NULL,
    data                  text NOT NULL,
    instance_name         text,
    event_stream_ordering bigint,
    thread_id             text,
    CONSTRAINT receipts_linearized_uniqueness_thread UNIQUE (room_id, receipt_type, user_id, thread_id)
);
CREATE UNIQUE INDEX receipts_linearized_unique_index ON receipts_linearized (room_id, receipt_type, user_id)
    WHERE thread_id IS NULL;
CREATE INDEX receipts_linearized_id ON receipts_linearized (stream_id);
CREATE INDEX receipts_linearized_room_stream ON receipts_linearized (room_id, stream_id);
CREATE INDEX receipts_linearized_user ON receipts_linearized (user_id);
CREATE INDEX receipts_linearized_event_id ON receipts_linearized (room_id, event_id);

-- main/full_schemas/72/full.sql.postgres; delta/73/08thread_receipts_non_null.sql.postgres (drops the
-- old receipts_graph_uniqueness constraint).
CREATE TABLE receipts_graph (
    room_id      text NOT NULL,
    receipt_type text NOT NULL,
    user_id      text NOT NULL,
    event_ids    text NOT NULL,
    data         text NOT NULL,
    thread_id    text,
    CONSTRAINT receipts_graph_uniqueness_thread UNIQUE (room_id, receipt_type, user_id, thread_id)
);
CREATE UNIQUE INDEX receipts_graph_unique_index ON receipts_graph (room_id, receipt_type, user_id)
    WHERE thread_id IS NULL;

-- =============================================================================================
-- Presence
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres. Every column is nullable; no key at all.
-- (delta/86/01 and 87/01 _presence_stream_updates.sql, adding displayname/avatar_url, appear in the
-- repository index but are not applied by released Synapse; left out.)
CREATE TABLE presence_stream (
    stream_id                 bigint,
    user_id                   text,
    state                     text,
    last_active_ts            bigint,
    last_federation_update_ts bigint,
    last_user_sync_ts         bigint,
    status_msg                text,
    currently_active          boolean,
    instance_name             text
);
CREATE INDEX presence_stream_id ON presence_stream (stream_id, user_id);
CREATE INDEX presence_stream_user_id ON presence_stream (user_id);
CREATE INDEX presence_stream_state_not_offline_idx ON presence_stream (state) WHERE state <> 'offline';

-- =============================================================================================
-- Account data and tags
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres
CREATE TABLE account_data (
    user_id           text NOT NULL,
    account_data_type text NOT NULL,
    stream_id         bigint NOT NULL,
    content           text NOT NULL,
    instance_name     text,
    CONSTRAINT account_data_uniqueness UNIQUE (user_id, account_data_type)
);
CREATE INDEX account_data_stream_id ON account_data (user_id, stream_id);

-- main/full_schemas/72/full.sql.postgres; delta/82/04_add_indices_for_purging_rooms.sql (background
-- index update room_account_data_index_room_id).
CREATE TABLE room_account_data (
    user_id           text NOT NULL,
    room_id           text NOT NULL,
    account_data_type text NOT NULL,
    stream_id         bigint NOT NULL,
    content           text NOT NULL,
    instance_name     text,
    CONSTRAINT room_account_data_uniqueness UNIQUE (user_id, room_id, account_data_type)
);
CREATE INDEX room_account_data_stream_id ON room_account_data (user_id, stream_id);
CREATE INDEX room_account_data_room_id ON room_account_data (room_id);

-- main/full_schemas/72/full.sql.postgres
CREATE TABLE room_tags (
    user_id text NOT NULL,
    room_id text NOT NULL,
    tag     text NOT NULL,
    content text NOT NULL,
    CONSTRAINT room_tag_uniqueness UNIQUE (user_id, room_id, tag)
);

-- main/full_schemas/72/full.sql.postgres (the constraint is spelled room_tag_, not room_tags_)
CREATE TABLE room_tags_revisions (
    user_id       text NOT NULL,
    room_id       text NOT NULL,
    stream_id     bigint NOT NULL,
    instance_name text,
    CONSTRAINT room_tag_revisions_uniqueness UNIQUE (user_id, room_id)
);

-- =============================================================================================
-- Push rules and pushers
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres (ids come from push_rules_id_seq since delta/94/11)
CREATE TABLE push_rules (
    id             bigint NOT NULL,
    user_name      text NOT NULL,
    rule_id        text NOT NULL,
    priority_class smallint NOT NULL,
    priority       integer DEFAULT 0 NOT NULL,
    conditions     text NOT NULL,
    actions        text NOT NULL,
    CONSTRAINT push_rules_pkey PRIMARY KEY (id),
    CONSTRAINT push_rules_user_name_rule_id_key UNIQUE (user_name, rule_id)
);
CREATE INDEX push_rules_user_name ON push_rules (user_name);

-- main/full_schemas/72/full.sql.postgres
CREATE TABLE push_rules_enable (
    id        bigint NOT NULL,
    user_name text NOT NULL,
    rule_id   text NOT NULL,
    enabled   smallint,
    CONSTRAINT push_rules_enable_pkey PRIMARY KEY (id),
    CONSTRAINT push_rules_enable_user_name_rule_id_key UNIQUE (user_name, rule_id)
);
CREATE INDEX push_rules_enable_user_name ON push_rules_enable (user_name);

-- main/full_schemas/72/full.sql.postgres; delta/85/02_add_instance_names.sql. No key.
CREATE TABLE push_rules_stream (
    stream_id             bigint NOT NULL,
    event_stream_ordering bigint NOT NULL,
    user_id               text NOT NULL,
    rule_id               text NOT NULL,
    op                    text NOT NULL,
    priority_class        smallint,
    priority              integer,
    conditions            text,
    actions               text,
    instance_name         text
);
CREATE INDEX push_rules_stream_id ON push_rules_stream (stream_id);
CREATE INDEX push_rules_stream_user_stream_id ON push_rules_stream (user_id, stream_id);

-- main/full_schemas/72/full.sql.postgres (constraint names keep the old table name pushers2);
-- delta/73/02add_pusher_enabled.sql, delta/73/03pusher_device_id.sql, delta/85/02_add_instance_names.sql.
CREATE TABLE pushers (
    id                   bigint NOT NULL,
    user_name            text NOT NULL,
    access_token         bigint,
    profile_tag          text NOT NULL,
    kind                 text NOT NULL,
    app_id               text NOT NULL,
    app_display_name     text NOT NULL,
    device_display_name  text NOT NULL,
    pushkey              text NOT NULL,
    ts                   bigint NOT NULL,
    lang                 text,
    data                 text,
    last_stream_ordering bigint,
    last_success         bigint,
    failing_since        bigint,
    enabled              boolean,
    device_id            text,
    instance_name        text,
    CONSTRAINT pushers2_pkey PRIMARY KEY (id),
    CONSTRAINT pushers2_app_id_pushkey_user_name_key UNIQUE (app_id, pushkey, user_name)
);

-- main/full_schemas/72/full.sql.postgres; delta/85/02_add_instance_names.sql. No key
-- (delta/46/drop_unique_deleted_pushers.sql removed the old one).
CREATE TABLE deleted_pushers (
    stream_id     bigint NOT NULL,
    app_id        text NOT NULL,
    pushkey       text NOT NULL,
    user_id       text NOT NULL,
    instance_name text
);
CREATE INDEX deleted_pushers_stream_id ON deleted_pushers (stream_id);

-- =============================================================================================
-- Caches
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres
CREATE TABLE cache_invalidation_stream_by_instance (
    stream_id       bigint NOT NULL,
    instance_name   text NOT NULL,
    cache_func      text NOT NULL,
    keys            text[],
    invalidation_ts bigint
);
CREATE UNIQUE INDEX cache_invalidation_stream_by_instance_id ON cache_invalidation_stream_by_instance (stream_id);
CREATE INDEX cache_invalidation_stream_by_instance_instance_index
    ON cache_invalidation_stream_by_instance (instance_name, stream_id);

-- =============================================================================================
-- To-device messages
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres. No key.
CREATE TABLE device_inbox (
    user_id       text NOT NULL,
    device_id     text NOT NULL,
    stream_id     bigint NOT NULL,
    message_json  text NOT NULL,
    instance_name text
);
CREATE INDEX device_inbox_stream_id_user_id ON device_inbox (stream_id, user_id);
CREATE INDEX device_inbox_user_stream_id ON device_inbox (user_id, device_id, stream_id);

-- main/full_schemas/72/full.sql.postgres. No key.
CREATE TABLE device_federation_outbox (
    destination   text NOT NULL,
    stream_id     bigint NOT NULL,
    queued_ts     bigint NOT NULL,
    messages_json text NOT NULL,
    instance_name text
);
CREATE INDEX device_federation_outbox_destination_id ON device_federation_outbox (destination, stream_id);
CREATE INDEX device_federation_outbox_id ON device_federation_outbox (stream_id);

-- =============================================================================================
-- Device lists
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres; delta/85/02_add_instance_names.sql. No key.
CREATE TABLE device_lists_stream (
    stream_id     bigint NOT NULL,
    user_id       text NOT NULL,
    device_id     text NOT NULL,
    instance_name text
);
CREATE INDEX device_lists_stream_id ON device_lists_stream (stream_id, user_id);
CREATE INDEX device_lists_stream_user_id ON device_lists_stream (user_id, device_id);

-- main/full_schemas/72/full.sql.postgres; delta/85/02_add_instance_names.sql. No key.
CREATE TABLE device_lists_outbound_pokes (
    destination         text NOT NULL,
    stream_id           bigint NOT NULL,
    user_id             text NOT NULL,
    device_id           text NOT NULL,
    sent                boolean NOT NULL,
    ts                  bigint NOT NULL,
    opentracing_context text,
    instance_name       text
);
CREATE INDEX device_lists_outbound_pokes_id ON device_lists_outbound_pokes (destination, stream_id);
CREATE INDEX device_lists_outbound_pokes_stream ON device_lists_outbound_pokes (stream_id);
CREATE INDEX device_lists_outbound_pokes_user ON device_lists_outbound_pokes (destination, user_id);

-- main/full_schemas/72/full.sql.postgres; delta/73/13add_device_lists_index.sql,
-- delta/85/02_add_instance_names.sql, delta/94/03_device_lists_room_timestamp.sql (background index
-- updates, definitions in databases/main/devices.py; the inserted_ts index is partial in a database
-- built by Synapse 1.16x).
CREATE TABLE device_lists_changes_in_room (
    user_id                   text NOT NULL,
    device_id                 text NOT NULL,
    room_id                   text NOT NULL,
    stream_id                 bigint NOT NULL,
    converted_to_destinations boolean NOT NULL,
    opentracing_context       text,
    instance_name             text,
    inserted_ts               bigint
);
CREATE UNIQUE INDEX device_lists_changes_in_stream_id ON device_lists_changes_in_room (stream_id, room_id);
CREATE INDEX device_lists_changes_in_stream_id_unconverted ON device_lists_changes_in_room (stream_id)
    WHERE NOT converted_to_destinations;
CREATE INDEX device_lists_changes_in_room_by_room_idx ON device_lists_changes_in_room (room_id, stream_id);
CREATE INDEX device_lists_changes_in_room_inserted_ts_idx ON device_lists_changes_in_room (inserted_ts)
    WHERE inserted_ts IS NOT NULL;
-- delta/94/08_device_lists_changes_in_room_unconverted_idx.sql adds one more partial index,
-- (user_id, device_id, room_id, stream_id) WHERE NOT converted_to_destinations, through the background
-- update 'device_lists_changes_in_room_unconverted_idx'. Its index name was not confirmed from
-- Synapse's code, so it is not created here.

-- e2e_cross_signing_keys (note only, not created): user_id, keytype, keydata text NOT NULL,
-- stream_id bigint NOT NULL, updatable_without_uia_before_ms bigint (delta/83/05), instance_name text
-- (delta/85/02); no primary key; unique indexes e2e_cross_signing_keys_idx (user_id, keytype, stream_id)
-- and e2e_cross_signing_keys_stream_idx (stream_id); sequence e2e_cross_signing_keys_sequence.

-- =============================================================================================
-- Partial-state streams
-- =============================================================================================

-- main/full_schemas/72/full.sql.postgres; delta/85/02_add_instance_names.sql. No key; the unique
-- index is over stream_id (one signature change per stream id).
CREATE TABLE user_signature_stream (
    stream_id     bigint NOT NULL,
    from_user_id  text NOT NULL,
    user_ids      text NOT NULL,
    instance_name text
);
CREATE UNIQUE INDEX user_signature_stream_idx ON user_signature_stream (stream_id);

-- delta/73/20_un_partial_stated_room_stream.sql.
-- Not reproduced: FK room_id -> rooms(room_id).
CREATE TABLE un_partial_stated_room_stream (
    stream_id     bigint NOT NULL,
    instance_name text NOT NULL,
    room_id       text NOT NULL,
    CONSTRAINT un_partial_stated_room_stream_pkey PRIMARY KEY (stream_id)
);
CREATE INDEX un_partial_stated_room_stream_room_id ON un_partial_stated_room_stream (room_id);

-- delta/73/22_un_partial_stated_event_stream.sql (the unique index on event_id is named ..._room_id
-- in Synapse). Not reproduced: FK event_id -> events(event_id) ON DELETE CASCADE.
CREATE TABLE un_partial_stated_event_stream (
    stream_id                bigint NOT NULL,
    instance_name            text NOT NULL,
    event_id                 text NOT NULL,
    rejection_status_changed boolean NOT NULL,
    CONSTRAINT un_partial_stated_event_stream_pkey PRIMARY KEY (stream_id)
);
CREATE UNIQUE INDEX un_partial_stated_event_stream_room_id ON un_partial_stated_event_stream (event_id);

-- =============================================================================================
-- Thread subscriptions
-- =============================================================================================

-- delta/92/04_thread_subscriptions.sql, delta/92/09_thread_subscriptions_update.sql.
-- stream_id is integer, not bigint. Not reproduced: FKs thread_subscriptions_fk_users
-- (user_id -> users(name)), thread_subscriptions_fk_rooms (room_id -> rooms(room_id) ON DELETE CASCADE),
-- thread_subscriptions_fk_events (event_id -> events(event_id) ON DELETE CASCADE).
CREATE TABLE thread_subscriptions (
    stream_id                            integer NOT NULL,
    instance_name                        text NOT NULL,
    room_id                              text NOT NULL,
    event_id                             text NOT NULL,
    user_id                              text NOT NULL,
    subscribed                           boolean NOT NULL,
    automatic                            boolean NOT NULL,
    unsubscribed_at_stream_ordering      bigint,
    unsubscribed_at_topological_ordering bigint,
    CONSTRAINT thread_subscriptions_pkey PRIMARY KEY (stream_id),
    CONSTRAINT thread_subscriptions_room_id_event_id_user_id_key UNIQUE (room_id, event_id, user_id)
);
CREATE INDEX thread_subscriptions_user_room ON thread_subscriptions (user_id, room_id);
CREATE INDEX thread_subscriptions_by_user ON thread_subscriptions (user_id, stream_id);
CREATE INDEX thread_subscriptions_by_event ON thread_subscriptions (event_id);

-- Sliding sync tables (note only, not created): sliding_sync_joined_rooms (PK room_id),
-- sliding_sync_membership_snapshots (PK (room_id, user_id)), sliding_sync_joined_rooms_to_recalculate
-- (PK room_id), and the per-connection tables sliding_sync_connections, sliding_sync_connection_positions,
-- sliding_sync_connection_required_state, sliding_sync_connection_room_configs,
-- sliding_sync_connection_streams, sliding_sync_connection_lazy_members
-- (delta/87/01_sliding_sync_memberships.sql, delta/87/02_per_connection_state.sql and later deltas).
