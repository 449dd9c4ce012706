-- State events: a state_events row in the same transaction as its event fills state_key, whether it
-- is written before or after the events row. The empty state key '' must stay a string, not null.
-- A non-state event in the same transaction keeps state_key null. (events.state_key is left NULL
-- so that only the join can fill the field.)
--
-- Transactions:
--   1: BEGIN; state_events $create (before its event); events $create, $member, $msg;
--      state_events $member (after its event); COMMIT
BEGIN;
INSERT INTO state_events (event_id, room_id, type, state_key)
VALUES ('$create', '!room:example.org', 'm.room.create', '');
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (1, '$create', 'm.room.create', '!room:example.org', true, false, 1);
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (2, '$member', 'm.room.member', '!room:example.org', true, false, 2);
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (3, '$msg', 'm.room.message', '!room:example.org', true, false, 3);
INSERT INTO state_events (event_id, room_id, type, state_key, prev_state)
VALUES ('$member', '!room:example.org', 'm.room.member', '@alice:example.org', NULL);
COMMIT;
