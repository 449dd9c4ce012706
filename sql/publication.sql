-- Synrep: the publication that the relay's logical replication slot (pgoutput) reads.
--
-- Run once per database, after sql/schema.sql (or against an existing Synapse database), as the
-- owner of the tables or a superuser:
--
--     psql -d synapse -v ON_ERROR_STOP=1 -f sql/publication.sql
--
-- Creates publication "synrep" for exactly the 18 tables of the built-in stream catalog, and only
-- when no publication of that name exists. When it does exist, any of the 18 tables it is missing
-- are added, so re-running the script after an upgrade that extended the list is safe; tables an
-- operator added on purpose are left alone. Safe to run any number of times.
--
-- Relay configuration must name the same publication (default "synrep"). With it in place the role
-- the relay logs in as needs no ownership of Synapse's tables. (A relay whose role owns the tables
-- creates the publication when it is absent and adds catalog tables it lacks; a role that may not
-- do so is refused at start with the CREATE or ALTER PUBLICATION command to run.)

DO $$
DECLARE
    wanted text[] := ARRAY[
        'events', 'state_events', 'redactions', 'event_json',
        'receipts_linearized', 'presence_stream',
        'account_data', 'room_account_data', 'room_tags', 'room_tags_revisions',
        'push_rules_stream', 'pushers', 'deleted_pushers',
        'cache_invalidation_stream',
        'device_inbox', 'device_federation_outbox',
        'public_room_list_stream', 'device_lists_stream'
    ];
    missing text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'synrep') THEN
        CREATE PUBLICATION synrep FOR TABLE
            public.events, public.state_events, public.redactions, public.event_json,
            public.receipts_linearized, public.presence_stream,
            public.account_data, public.room_account_data, public.room_tags, public.room_tags_revisions,
            public.push_rules_stream, public.pushers, public.deleted_pushers,
            public.cache_invalidation_stream,
            public.device_inbox, public.device_federation_outbox,
            public.public_room_list_stream, public.device_lists_stream;
        RAISE NOTICE 'created publication synrep';
        RETURN;
    END IF;

    FOR missing IN
        SELECT t FROM unnest(wanted) AS t
        WHERE NOT EXISTS (
            SELECT 1 FROM pg_publication_tables p
            WHERE p.pubname = 'synrep' AND p.schemaname = 'public' AND p.tablename = t)
    LOOP
        EXECUTE format('ALTER PUBLICATION synrep ADD TABLE public.%I', missing);
        RAISE NOTICE 'added table % to publication synrep', missing;
    END LOOP;
END
$$;
