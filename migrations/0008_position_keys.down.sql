DROP FUNCTION position_key(bigint);
DROP FUNCTION position_between(text, text);
DROP FUNCTION position_midpoint(text, text);
DROP FUNCTION position_step_integer(text, integer);
DROP FUNCTION position_integer_part(text);
DROP FUNCTION position_integer_length(text);
