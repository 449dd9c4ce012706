-- Removing a pusher as Synapse does: delete it from pushers and record it in deleted_pushers in one
-- transaction. Only deleted_pushers streams a row for it; fields are taken by name (the table's
-- column order differs from the stream's field order).
--
-- Transactions:
--   1: INSERT pusher id 1
--   2: BEGIN; DELETE the pusher; INSERT deleted_pushers (stream_id 2); COMMIT
INSERT INTO pushers (id, user_name, profile_tag, kind, app_id, app_display_name, device_display_name, pushkey, ts)
VALUES (1, '@alice:example.org', '', 'http', 'm.http', 'Phone', 'Pixel', 'key-1', 1700000000000);

BEGIN;
DELETE FROM pushers WHERE id = 1;
INSERT INTO deleted_pushers (stream_id, app_id, pushkey, user_id)
VALUES (2, 'm.http', 'key-1', '@alice:example.org');
COMMIT;
