-- Backfilled events (negative stream_ordering) go to the backfill stream, never to events, with
-- the same state_events / redactions join. A positive stream_ordering goes to events only.
--
-- Transactions:
--   1: BEGIN; events $old1 (-1); events $old2 (-2) + state_events $old2; COMMIT
--   2: events $new (stream_ordering 1)
--   3: BEGIN; events $old3 (-3, a redaction) + redactions $old3 -> $old1; COMMIT
BEGIN;
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (5, '$old1', 'm.room.message', '!room:example.org', true, false, -1);
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (4, '$old2', 'm.room.member', '!room:example.org', true, false, -2);
INSERT INTO state_events (event_id, room_id, type, state_key)
VALUES ('$old2', '!room:example.org', 'm.room.member', '@bob:example.org');
COMMIT;

INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (10, '$new', 'm.room.message', '!room:example.org', true, false, 1);

BEGIN;
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (6, '$old3', 'm.room.redaction', '!room:example.org', true, false, -3);
INSERT INTO redactions (event_id, redacts) VALUES ('$old3', '$old1');
COMMIT;
