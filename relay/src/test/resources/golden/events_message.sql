-- Plain message events, persisted as Synapse does: the events row and its event_json row together.
-- event_json is not in the catalog and adds nothing; no state_events or redactions row, so
-- state_key and redacts are null.
--
-- Transactions:
--   1: BEGIN; events $msg1 (stream_ordering 1) + event_json; COMMIT
--   2: events $msg2 (stream_ordering 2), autocommit
BEGIN;
INSERT INTO events (topological_ordering, event_id, type, room_id, content, processed, outlier, depth,
                    origin_server_ts, received_ts, sender, contains_url, instance_name, stream_ordering)
VALUES (2, '$msg1', 'm.room.message', '!room:example.org', '{"body":"hello","msgtype":"m.text"}', true, false, 2,
        1700000000000, 1700000000001, '@alice:example.org', false, 'master', 1);
INSERT INTO event_json (event_id, room_id, internal_metadata, json, format_version)
VALUES ('$msg1', '!room:example.org', '{}', '{"type":"m.room.message","content":{"body":"hello"}}', 3);
COMMIT;

INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (3, '$msg2', 'm.room.message', '!room:example.org', true, false, 2);
