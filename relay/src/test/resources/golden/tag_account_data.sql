-- Room tags: only room_tags_revisions streams (tag_account_data). Changes to room_tags alone, as
-- inserts or deletes, stream nothing.
--
-- Transactions:
--   1: BEGIN; INSERT room_tags m.favourite; INSERT room_tags_revisions (stream_id 1); COMMIT
--   2: INSERT room_tags u.work alone                         -> no row
--   3: DELETE room_tags u.work alone                         -> no row
--   4: BEGIN; DELETE room_tags m.favourite; upsert room_tags_revisions (stream_id 2); COMMIT
BEGIN;
INSERT INTO room_tags (user_id, room_id, tag, content)
VALUES ('@alice:example.org', '!room:example.org', 'm.favourite', '{"order":0.5}');
INSERT INTO room_tags_revisions (user_id, room_id, stream_id, instance_name)
VALUES ('@alice:example.org', '!room:example.org', 1, 'master');
COMMIT;

INSERT INTO room_tags (user_id, room_id, tag, content)
VALUES ('@alice:example.org', '!room:example.org', 'u.work', '{}');

DELETE FROM room_tags WHERE tag = 'u.work';

BEGIN;
DELETE FROM room_tags WHERE tag = 'm.favourite';
INSERT INTO room_tags_revisions (user_id, room_id, stream_id, instance_name)
VALUES ('@alice:example.org', '!room:example.org', 2, 'master')
ON CONFLICT (user_id, room_id) DO UPDATE SET stream_id = EXCLUDED.stream_id;
COMMIT;
