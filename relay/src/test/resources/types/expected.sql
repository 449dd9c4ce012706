-- The documented JSON representation of every fidelity_types column, computed by PostgreSQL itself
-- (TypeFidelityIT compares each streamed row with it). Run with IntervalStyle = iso_8601.

-- timestamptz: ISO-8601 in UTC with a "Z", fraction as PostgreSQL prints it (" BC" after the Z);
-- infinity as its text
CREATE FUNCTION fidelity_tstz(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN t IS NULL THEN NULL
                WHEN isfinite(t) THEN regexp_replace(to_json(t AT TIME ZONE 'UTC') #>> '{}', '( BC)?$', 'Z\1')
                ELSE t::text END
$$;

-- timetz: the same instant of day in UTC with a "Z"
CREATE FUNCTION fidelity_timetz(t timetz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT regexp_replace(to_json(t AT TIME ZONE 'UTC') #>> '{}', '\+00(:00)?$', 'Z')
$$;

CREATE FUNCTION fidelity_expected(row_id integer) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', id,
        'c_int2', c_int2,
        'c_int4', c_int4,
        'c_int8', c_int8,
        'c_numeric', c_numeric::text,
        'c_numeric_scaled', c_numeric_scaled::text,
        'c_float4', c_float4,
        'c_float8', c_float8,
        'c_bool', c_bool,
        'c_text', c_text,
        'c_varchar', c_varchar,
        'c_char', c_char,
        'c_bytea', translate(encode(c_bytea, 'base64'), E'\n', ''),
        'c_json', c_json,
        'c_jsonb', c_jsonb,
        'c_uuid', c_uuid,
        'c_inet', c_inet,
        'c_cidr', c_cidr,
        'c_date', c_date,
        'c_time', c_time,
        'c_timetz', fidelity_timetz(c_timetz),
        'c_timestamp', c_timestamp,
        'c_timestamptz', fidelity_tstz(c_timestamptz),
        'c_interval', c_interval,
        'c_enum', c_enum,
        'c_int4_array', c_int4_array,
        'c_int8_array', c_int8_array,
        'c_text_array', c_text_array,
        'c_numeric_array', c_numeric_array::text[],
        'c_float8_array', c_float8_array,
        'c_bool_array', c_bool_array,
        'c_uuid_array', c_uuid_array,
        'c_date_array', c_date_array,
        'c_timestamptz_array', CASE WHEN c_timestamptz_array IS NULL THEN NULL ELSE
            to_json(ARRAY(SELECT fidelity_tstz(e) FROM unnest(c_timestamptz_array) WITH ORDINALITY u(e, o) ORDER BY o)) END,
        'c_jsonb_array', c_jsonb_array,
        'c_enum_array', c_enum_array, 'c_int4_matrix', c_int4_matrix,
        'c_time0', c_time0,
        'c_timestamp3', c_timestamp3,
        'c_timestamptz0', fidelity_tstz(c_timestamptz0))
    FROM fidelity_types WHERE id = row_id
$$;
