-- A redaction event with its redactions row in the same transaction fills redacts with the
-- redacted event's id. Later changes to the redactions row alone (Synapse marks it censored)
-- stream nothing.
--
-- Transactions:
--   1: events $msg (stream_ordering 1)
--   2: BEGIN; events $redaction (stream_ordering 2); redactions $redaction -> $msg; COMMIT
--   3: UPDATE redactions SET have_censored = true           -> no row
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, stream_ordering)
VALUES (1, '$msg', 'm.room.message', '!room:example.org', true, false, 1);

BEGIN;
INSERT INTO events (topological_ordering, event_id, type, room_id, processed, outlier, sender, stream_ordering)
VALUES (2, '$redaction', 'm.room.redaction', '!room:example.org', true, false, '@alice:example.org', 2);
INSERT INTO redactions (event_id, redacts, received_ts)
VALUES ('$redaction', '$msg', 1700000000000);
COMMIT;

UPDATE redactions SET have_censored = true WHERE event_id = '$redaction';
