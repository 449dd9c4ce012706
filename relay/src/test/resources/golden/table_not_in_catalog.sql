-- Writes to a table no stream reads (event_json) stream nothing, on any stream.
--
-- Transactions:
--   1: INSERT event_json $e1
--   2: UPDATE event_json $e1
--   3: DELETE event_json $e1
INSERT INTO event_json (event_id, room_id, internal_metadata, json, format_version)
VALUES ('$e1', '!room:example.org', '{}', '{"type":"m.room.message"}', 3);

UPDATE event_json SET internal_metadata = '{"redacted":true}' WHERE event_id = '$e1';

DELETE FROM event_json WHERE event_id = '$e1';
