-- A catalog of its own (catalog_constants_filters_json.catalog.json): the built-in streams without
-- public_rooms, plus account_data_all, a union of account_data and room_account_data with constants
-- (room_id null and forgotten false for account_data), text and null filters, and content as JSON.
--
-- Transactions:
--   1: account_data m.direct, JSON content              -> user_account_data (text), account_data_all (JSON)
--   2: account_data m.ignored_user_list                 -> user_account_data only ("!=" filter)
--   3: room_account_data m.fully_read, not JSON content -> room_account_data, account_data_all (as text)
--   4: room_account_data m.tag                          -> room_account_data only ("=" filter)
--   5: room_account_data m.fully_read, no instance_name -> room_account_data only ("is not null" filter)
--   6: public_room_list_stream row                      -> nothing (public_rooms dropped)
INSERT INTO account_data (user_id, account_data_type, stream_id, content, instance_name)
VALUES ('@alice:example.org', 'm.direct', 1, '{"@bob:example.org": ["!dm:example.org"]}', 'master');

INSERT INTO account_data (user_id, account_data_type, stream_id, content, instance_name)
VALUES ('@alice:example.org', 'm.ignored_user_list', 2, '{"ignored_users": {}}', 'master');

INSERT INTO room_account_data (user_id, room_id, account_data_type, stream_id, content, instance_name)
VALUES ('@alice:example.org', '!room:example.org', 'm.fully_read', 3, 'not json {', 'master');

INSERT INTO room_account_data (user_id, room_id, account_data_type, stream_id, content, instance_name)
VALUES ('@alice:example.org', '!room:example.org', 'm.tag', 4, '{"tags": {}}', 'master');

INSERT INTO room_account_data (user_id, room_id, account_data_type, stream_id, content)
VALUES ('@bob:example.org', '!room:example.org', 'm.fully_read', 5, '{"event_id": "$e5"}');

INSERT INTO public_room_list_stream (stream_id, room_id, visibility, appservice_id, network_id)
VALUES (6, '!room:example.org', true, NULL, NULL);
