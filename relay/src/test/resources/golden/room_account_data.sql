-- Per-room account data: account_data_type becomes "type"; insert and upsert stream rows, a delete
-- streams nothing.
--
-- Transactions:
--   1: INSERT @alice !room m.fully_read (stream_id 1)
--   2: upsert the same key (stream_id 2)                     -> an UPDATE in the WAL
--   3: DELETE it                                             -> no row
INSERT INTO room_account_data (user_id, room_id, account_data_type, stream_id, content, instance_name)
VALUES ('@alice:example.org', '!room:example.org', 'm.fully_read', 1, '{"event_id":"$e1"}', 'master');

INSERT INTO room_account_data (user_id, room_id, account_data_type, stream_id, content, instance_name)
VALUES ('@alice:example.org', '!room:example.org', 'm.fully_read', 2, '{"event_id":"$e2"}', 'master')
ON CONFLICT (user_id, room_id, account_data_type)
DO UPDATE SET stream_id = EXCLUDED.stream_id, content = EXCLUDED.content;

DELETE FROM room_account_data WHERE user_id = '@alice:example.org';
