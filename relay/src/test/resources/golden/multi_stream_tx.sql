-- One transaction writing several streams (an event, its read receipt and a cache invalidation, as
-- Synapse's persist path can): all its rows share one position. A later transaction gets a greater
-- one.
--
-- Transactions:
--   1: BEGIN; events $msg (5) + event_json; receipts_linearized (stream_id 7);
--      cache_invalidation_stream (stream_id 3); COMMIT
--   2: INSERT receipts_linearized for @bob (stream_id 8)
BEGIN;
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, sender, stream_ordering)
VALUES (5, '$msg', 'm.room.message', '!room:example.org', true, false, '@alice:example.org', 5);
INSERT INTO event_json (event_id, room_id, internal_metadata, json)
VALUES ('$msg', '!room:example.org', '{}', '{}');
INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data)
VALUES (7, '!room:example.org', 'm.read', '@alice:example.org', '$msg', '{}');
INSERT INTO cache_invalidation_stream (stream_id, cache_func, keys, invalidation_ts)
VALUES (3, 'get_latest_event_ids_in_room', ARRAY['!room:example.org'], 1700000000000);
COMMIT;

INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data)
VALUES (8, '!room:example.org', 'm.read', '@bob:example.org', '$msg', '{}');
