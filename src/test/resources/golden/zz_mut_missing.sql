INSERT INTO device_lists_stream (stream_id, user_id, device_id) VALUES (1, '@a', 'D');
