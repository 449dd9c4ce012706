-- Push rule changes: each push_rules_stream row streams, smallint and integer columns as numbers,
-- NULLs (a DELETE op carries no rule) as null.
--
-- Transactions:
--   1: INSERT ADD global/content/cake (stream_id 1)
--   2: BEGIN; INSERT ENABLE (stream_id 2); INSERT DELETE (stream_id 3); COMMIT
INSERT INTO push_rules_stream (stream_id, event_stream_ordering, user_id, rule_id, op, priority_class, priority,
                               conditions, actions)
VALUES (1, 10, '@alice:example.org', 'global/content/cake', 'ADD', 1, 0,
        '[{"kind":"event_match","key":"content.body","pattern":"cake"}]', '["notify"]');

BEGIN;
INSERT INTO push_rules_stream (stream_id, event_stream_ordering, user_id, rule_id, op)
VALUES (2, 11, '@alice:example.org', 'global/content/cake', 'ENABLE');
INSERT INTO push_rules_stream (stream_id, event_stream_ordering, user_id, rule_id, op)
VALUES (3, 11, '@alice:example.org', 'global/content/cake', 'DELETE');
COMMIT;
