-- Public room directory changes: visibility is a boolean; appservice_id and network_id are null for
-- the main directory and set for an application service's network.
--
-- Transactions:
--   1: INSERT !a published (stream_id 1)
--   2: INSERT !b published on an appservice network (stream_id 2)
--   3: INSERT !a unpublished (stream_id 3)
INSERT INTO public_room_list_stream (stream_id, room_id, visibility, appservice_id, network_id)
VALUES (1, '!a:example.org', true, NULL, NULL);

INSERT INTO public_room_list_stream (stream_id, room_id, visibility, appservice_id, network_id)
VALUES (2, '!b:example.org', true, 'irc_bridge', 'libera');

INSERT INTO public_room_list_stream (stream_id, room_id, visibility)
VALUES (3, '!a:example.org', false);
