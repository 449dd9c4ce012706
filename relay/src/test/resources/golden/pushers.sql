-- Pushers: an insert and Synapse's re-add (an upsert on (app_id, pushkey, user_name) that takes a
-- new id) both stream the whole row; columns not in the stream (access_token, profile_tag, ...)
-- are left out. A delete streams nothing on pushers.
--
-- Transactions:
--   1: INSERT pusher id 1
--   2: upsert the same pusher with id 2, new display name and ts   -> an UPDATE in the WAL
--   3: DELETE it                                                   -> no row
INSERT INTO pushers (id, user_name, access_token, profile_tag, kind, app_id, app_display_name,
                     device_display_name, pushkey, ts, lang, data)
VALUES (1, '@alice:example.org', 42, '', 'http', 'm.http', 'Phone', 'Pixel', 'https://push.example.org/abc',
        1700000000000, 'en', '{"url":"https://push.example.org/_matrix/push/v1/notify"}');

INSERT INTO pushers (id, user_name, access_token, profile_tag, kind, app_id, app_display_name,
                     device_display_name, pushkey, ts, lang, data)
VALUES (2, '@alice:example.org', 42, '', 'http', 'm.http', 'Phone (new)', 'Pixel', 'https://push.example.org/abc',
        1700000100000, NULL, NULL)
ON CONFLICT (app_id, pushkey, user_name)
DO UPDATE SET id = EXCLUDED.id, app_display_name = EXCLUDED.app_display_name, ts = EXCLUDED.ts,
              lang = EXCLUDED.lang, data = EXCLUDED.data;

DELETE FROM pushers WHERE user_name = '@alice:example.org';
