-- To-device messages: one stream from two tables. device_inbox rows carry entity = user_id,
-- device_federation_outbox rows entity = destination. Synapse gives local and remote messages of
-- one send the same stream_id, in one transaction. Deleting delivered messages streams nothing.
--
-- Transactions:
--   1: INSERT device_inbox @alice (stream_id 1)
--   2: INSERT device_federation_outbox remote.example.org (stream_id 2)
--   3: BEGIN; INSERT device_inbox @bob (3); INSERT device_federation_outbox other.example.net (3); COMMIT
--   4: DELETE delivered device_inbox rows                    -> no row
INSERT INTO device_inbox (user_id, device_id, stream_id, message_json, instance_name)
VALUES ('@alice:example.org', 'PHONE', 1, '{"type":"m.room_key_request"}', 'master');

INSERT INTO device_federation_outbox (destination, stream_id, queued_ts, messages_json)
VALUES ('remote.example.org', 2, 1700000000000, '{"messages":{}}');

BEGIN;
INSERT INTO device_inbox (user_id, device_id, stream_id, message_json)
VALUES ('@bob:example.org', 'LAPTOP', 3, '{"type":"m.room.encrypted"}');
INSERT INTO device_federation_outbox (destination, stream_id, queued_ts, messages_json)
VALUES ('other.example.net', 3, 1700000000001, '{"messages":{}}');
COMMIT;

DELETE FROM device_inbox WHERE stream_id <= 1;
