DROP TABLE tasks;
DROP FUNCTION tasks_before_update();
DROP FUNCTION tasks_before_insert();
DROP FUNCTION task_tags_are_valid(text[]);
