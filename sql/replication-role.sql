-- Synrep: the database role the relay logs in as.
--
-- Run as a superuser (in PostgreSQL 15 only a superuser may grant the REPLICATION attribute),
-- connected to the Synapse database:
--
--     psql -d synapse -v ON_ERROR_STOP=1 -v synrep_password='a-long-secret' -f sql/replication-role.sql
--
-- Without -v synrep_password the password defaults to 'synrep', which is only fit for a local
-- test database. The password is passed as a psql variable so it never has to be written into a
-- file; psql quotes it (:'var') so any characters are safe.
-- The statement carrying it reaches the server, so a server logging DDL (log_statement = ddl or
-- all) records it; on such a server set the password afterwards with psql's \password synrep.
--
-- The role gets what logical replication through Debezium needs and nothing more:
--   LOGIN REPLICATION   open a replication connection and create/read its logical slot;
--   CONNECT + USAGE     reach the database and the public schema;
--   SELECT              on the 18 published tables (initial snapshot, schema discovery).
-- It gets no write access: the publication is created by sql/publication.sql, run by the owner.
-- Re-running the script is safe; it resets the password and re-applies the grants.
--
-- pg_hba.conf must also allow the role a "replication" connection (or "all") to this database.

\if :{?synrep_password}
\else
\set synrep_password 'synrep'
\endif

SELECT format('CREATE ROLE synrep WITH LOGIN REPLICATION PASSWORD %L', :'synrep_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'synrep')
\gexec

SELECT format('ALTER ROLE synrep WITH LOGIN REPLICATION PASSWORD %L', :'synrep_password')
\gexec

SELECT format('GRANT CONNECT ON DATABASE %I TO synrep', current_database())
\gexec

GRANT USAGE ON SCHEMA public TO synrep;

GRANT SELECT ON TABLE
    public.events, public.state_events, public.redactions, public.event_json,
    public.receipts_linearized, public.presence_stream,
    public.account_data, public.room_account_data, public.room_tags, public.room_tags_revisions,
    public.push_rules_stream, public.pushers, public.deleted_pushers,
    public.cache_invalidation_stream,
    public.device_inbox, public.device_federation_outbox,
    public.public_room_list_stream, public.device_lists_stream
TO synrep;
