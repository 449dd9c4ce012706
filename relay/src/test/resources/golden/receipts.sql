-- Receipts: an insert and then Synapse's upsert of the same (room, type, user) both stream a row,
-- the second with the new values. Deletes are compaction and stream nothing.
--
-- Transactions:
--   1: INSERT receipts_linearized (stream_id 1, $e1)
--   2: INSERT ... ON CONFLICT DO UPDATE (stream_id 2, $e2)   -> an UPDATE in the WAL
--   3: DELETE the receipt                                    -> no row
INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data, instance_name,
                                 event_stream_ordering)
VALUES (1, '!room:example.org', 'm.read', '@alice:example.org', '$e1', '{"ts":1700000000000}', 'master', 10);

INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data, instance_name,
                                 event_stream_ordering)
VALUES (2, '!room:example.org', 'm.read', '@alice:example.org', '$e2', '{"ts":1700000005000}', 'master', 11)
ON CONFLICT ON CONSTRAINT receipts_linearized_uniqueness
DO UPDATE SET stream_id = EXCLUDED.stream_id, event_id = EXCLUDED.event_id, data = EXCLUDED.data,
              event_stream_ordering = EXCLUDED.event_stream_ordering;

DELETE FROM receipts_linearized WHERE user_id = '@alice:example.org';
