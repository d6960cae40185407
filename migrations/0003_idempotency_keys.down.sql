DROP FUNCTION idempotency_keys_purge();
DROP TABLE idempotency_keys;
