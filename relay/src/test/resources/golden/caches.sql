-- Cache invalidations: keys is text[] and streams as a JSON array of strings (elements with a
-- comma, a quote or nothing at all included); an empty array as [], NULL keys (Synapse's
-- "invalidate the whole cache") as null.
--
-- Transactions:
--   1: INSERT get_user_by_id ['@alice:example.org'] (stream_id 1)
--   2: BEGIN; INSERT get_rooms_for_user (2); INSERT odd keys (3); COMMIT
--   3: BEGIN; INSERT NULL keys (4); INSERT empty keys (5); COMMIT
INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts)
VALUES (1, 'get_user_by_id', ARRAY['@alice:example.org'], 1700000000000);

BEGIN;
INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts)
VALUES (2, 'get_rooms_for_user', ARRAY['@alice:example.org', '!room:example.org'], 1700000000001);
INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts)
VALUES (3, 'odd_keys', '{"a,b","c\"d",""}', 1700000000002);
COMMIT;

BEGIN;
INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts)
VALUES (4, 'get_users_in_room', NULL, 1700000000003);
INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts)
VALUES (5, 'empty_keys', '{}', 1700000000004);
COMMIT;
