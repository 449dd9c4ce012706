-- The state_events join works within one transaction only: a state_events row committed in a
-- different transaction from its event (before or after it) leaves state_key null, and a lone
-- state_events row streams nothing.
--
-- Transactions:
--   1: state_events $name alone (its event comes later)      -> no row
--   2: events $name (stream_ordering 1)                      -> state_key null
--   3: events $topic (stream_ordering 2)                     -> state_key null
--   4: state_events $topic alone (after its event)           -> no row
INSERT INTO state_events (event_id, room_id, type, state_key)
VALUES ('$name', '!room:example.org', 'm.room.name', '');

INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (1, '$name', 'm.room.name', '!room:example.org', true, false, 1);

INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (2, '$topic', 'm.room.topic', '!room:example.org', true, false, 2);

INSERT INTO state_events (event_id, room_id, type, state_key)
VALUES ('$topic', '!room:example.org', 'm.room.topic', '');
