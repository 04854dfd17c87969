-- The delivery worker's claim reads the pending deliveries in the order they fall due: the index
-- it reads through now holds the pending deliveries alone. A delivery's entry leaves it when the
-- delivery is claimed, and sending it touches the index no more. The index it replaces, on
-- (state, next_attempt_at), held every delivery ever made and moved each one's entry twice (at
-- its claim, and when it was sent): at 1,000 messages a second that was a fifth of SQLite's work.
-- The count of cancelled deliveries (the /metrics gauges read every state's count) gets a small
-- index of its own, as the failed and the open ones have; the sent are the rest of the table.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_cancelled ON deliveries (broadcast_id) WHERE state = 'cancelled';
