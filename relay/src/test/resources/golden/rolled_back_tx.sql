-- A rolled-back transaction streams nothing, even though its changes reached the WAL; the next
-- committed transaction streams normally.
--
-- Transactions:
--   1: BEGIN; events $gone (1); receipts_linearized (stream_id 1); ROLLBACK   -> no rows
--   2: INSERT receipts_linearized (stream_id 2)
BEGIN;
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (1, '$gone', 'm.room.message', '!room:example.org', true, false, 1);
INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data)
VALUES (1, '!room:example.org', 'm.read', '@alice:example.org', '$gone', '{}');
ROLLBACK;

INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data)
VALUES (2, '!room:example.org', 'm.read', '@alice:example.org', '$kept', '{}');
