-- Presence, written as Synapse does: each update deletes the user's older presence_stream rows and
-- inserts new ones. The deletes stream nothing. Booleans and NULLs pass through; status messages
-- with quotes, a backslash, non-ASCII text, an emoji, a newline and a tab survive JSON encoding.
--
-- Transactions:
--   1: INSERT @alice online (stream_id 1)
--   2: BEGIN; DELETE @alice's older rows; INSERT @alice unavailable (2); INSERT @bob offline (3); COMMIT
INSERT INTO presence_stream (stream_id, user_id, state, last_active_ts, last_federation_update_ts,
                             last_user_sync_ts, status_msg, currently_active, instance_name)
VALUES (1, '@alice:example.org', 'online', 1700000000000, 1700000000100, 1700000000200,
        'Out to lunch — back at 2 "ish" \ 🙂', true, 'master');

BEGIN;
DELETE FROM presence_stream WHERE user_id = '@alice:example.org' AND stream_id < 2;
INSERT INTO presence_stream (stream_id, user_id, state, last_active_ts, last_federation_update_ts,
                             last_user_sync_ts, status_msg, currently_active, instance_name)
VALUES (2, '@alice:example.org', 'unavailable', 1700000060000, 1700000060100, 1700000060200, NULL, false,
        'master');
INSERT INTO presence_stream (stream_id, user_id, state, last_active_ts, last_federation_update_ts,
                             last_user_sync_ts, status_msg, currently_active, instance_name)
VALUES (3, '@bob:example.org', 'offline', 0, NULL, NULL, E'first line\nsecond\tline', NULL, NULL);
COMMIT;
