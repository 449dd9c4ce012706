INSERT INTO receipts_linearized (stream_id, room_id, receipt_type, user_id, event_id, data) VALUES (1, '!r', 'm.read', '@a', '$e', '{}');
INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (1, '@a', 'D');
