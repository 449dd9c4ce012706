-- The data-fidelity test table (TypeFidelityIT): one column per common PostgreSQL type, streamed by
-- types/catalog.json. REPLICA IDENTITY FULL, as sql/schema.sql sets it for Synapse's tables, so that
-- deletes carry the old row and unchanged TOASTed values can be taken from it.
CREATE TYPE fidelity_mood AS ENUM ('sad', 'ok', 'happy 😀', 'it''s "quoted"');

CREATE TABLE fidelity_types (
    id integer PRIMARY KEY,
    c_int2 smallint,
    c_int4 integer,
    c_int8 bigint,
    c_numeric numeric,
    c_numeric_scaled numeric(20, 4),
    c_float4 real,
    c_float8 double precision,
    c_bool boolean,
    c_text text,
    c_varchar varchar(64),
    c_char char(6),
    c_bytea bytea,
    c_json json,
    c_jsonb jsonb,
    c_uuid uuid,
    c_inet inet,
    c_cidr cidr,
    c_date date,
    c_time time,
    c_timetz timetz,
    c_timestamp timestamp,
    c_timestamptz timestamptz,
    c_interval interval,
    c_enum fidelity_mood,
    c_int4_array integer[],
    c_int8_array bigint[],
    c_text_array text[],
    c_numeric_array numeric[],
    c_float8_array double precision[],
    c_bool_array boolean[],
    c_uuid_array uuid[],
    c_date_array date[],
    c_timestamptz_array timestamptz[],
    c_jsonb_array jsonb[],
    c_enum_array fidelity_mood[],
    c_int4_matrix integer[][],
    c_time0 time(0),
    c_timestamp3 timestamp(3),
    c_timestamptz0 timestamptz(0)
);
ALTER TABLE fidelity_types REPLICA IDENTITY FULL;

-- TOAST: the same large columns in a table with REPLICA IDENTITY FULL and in one with the default
-- (primary key) identity.
CREATE TABLE fidelity_toast_full (
    id integer PRIMARY KEY,
    counter integer NOT NULL,
    big_text text,
    big_bytea bytea,
    big_jsonb jsonb,
    big_text_array text[]
);
ALTER TABLE fidelity_toast_full REPLICA IDENTITY FULL;

CREATE TABLE fidelity_toast_default (
    id integer PRIMARY KEY,
    counter integer NOT NULL,
    big_text text,
    big_bytea bytea,
    big_jsonb jsonb,
    big_text_array text[]
);
