DROP FUNCTION task_query(text, text, text[]);
DROP FUNCTION task_counts(text);
DROP FUNCTION task_delete(text, bigint, integer);
DROP FUNCTION task_toggle(text, bigint, integer);
DROP FUNCTION task_update(text, bigint, integer, boolean, text, boolean, text, boolean, text,
  boolean, smallint, boolean, text[], boolean, timestamptz);
DROP FUNCTION task_create(text, text, text, text, smallint, text[], timestamptz, text, text);
DROP FUNCTION task_refuse_stale_version(text, bigint, integer);
DROP FUNCTION task_get(text, bigint);
