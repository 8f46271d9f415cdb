-- The dashboard's delivery times (first delivered, 90 % delivered) read
-- the delivered messages of a release in time order.
CREATE INDEX messages_delivered ON messages (release_id, delivered_at) WHERE delivered_at IS NOT NULL;
