-- Device list changes. A bigint beyond 2^53 must come through exact (JSON readers that use doubles
-- would round it). Pruning old rows streams nothing.
--
-- Transactions:
--   1: BEGIN; INSERT @alice PHONE (1); INSERT @alice LAPTOP (1); COMMIT
--   2: INSERT @bob TABLET (stream_id 9007199254740993)
--   3: DELETE rows with stream_id 1                          -> no row
BEGIN;
INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (1, '@alice:example.org', 'PHONE');
INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (1, '@alice:example.org', 'LAPTOP');
COMMIT;

INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (9007199254740993, '@bob:example.org', 'TABLET');

DELETE FROM device_lists_stream WHERE stream_id = 1;
