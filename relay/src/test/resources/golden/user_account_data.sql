-- Global account data: column account_data_type becomes field "type". Inserts and Synapse's upsert
-- both stream a row.
--
-- Transactions:
--   1: INSERT @alice im.vector.setting.breadcrumbs (stream_id 1)
--   2: upsert the same type (stream_id 2)                    -> an UPDATE in the WAL
--   3: INSERT @alice m.direct (stream_id 3)
INSERT INTO account_data (user_id, account_data_type, stream_id, content, instance_name)
VALUES ('@alice:example.org', 'im.vector.setting.breadcrumbs', 1, '{"recent_rooms":["!a:example.org"]}', 'master');

INSERT INTO account_data (user_id, account_data_type, stream_id, content, instance_name)
VALUES ('@alice:example.org', 'im.vector.setting.breadcrumbs', 2,
        '{"recent_rooms":["!b:example.org","!a:example.org"]}', 'master')
ON CONFLICT (user_id, account_data_type)
DO UPDATE SET stream_id = EXCLUDED.stream_id, content = EXCLUDED.content;

INSERT INTO account_data (user_id, account_data_type, stream_id, content)
VALUES ('@alice:example.org', 'm.direct', 3, '{}');
