-- Fractional position keys for a manual order among siblings: moving an item writes one
-- key, strictly between its new neighbours' keys, and renumbers nothing. They are computed
-- in the database so that the functions writing them do it under the list's lock, and two
-- concurrent moves never compute a key from stale neighbours.
--
-- position_between is a port of generateKeyBetween of the npm package fractional-indexing
-- (rocicorp, CC0), with its default base-62 digits 0-9A-Za-z; that package is the oracle of
-- src/db/position-keys.test.ts. A key is an integer part, then a fraction:
--  - the integer part's head letter gives its length: 'a' two characters (a0 … az), 'b'
--    three (b00 … bzz), up to 'z'; below a0 the heads run down from 'Z' (Zz … Z0, Yzz …)
--    to 'A'. Appending or prepending moves to the next integer, so keys stay short;
--  - the fraction is base-62 digits without a trailing '0', used only between neighbours
--    with no integer left between them.
-- Keys compare bytewise (COLLATE "C"). A key out of this form raises TDP02; neighbours
-- that are not in order (p_before >= p_after) raise TDP01.

-- Length of an integer part from its head letter: 'a' 2 … 'z' 27, 'Z' 2 … 'A' 27.
CREATE FUNCTION position_integer_length(p_head text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
  SELECT CASE WHEN ascii(p_head) >= ascii('a') THEN ascii(p_head) - ascii('a') + 2
              ELSE ascii('Z') - ascii(p_head) + 2 END
$$;

-- The integer part of a key, which it checks is well formed.
CREATE FUNCTION position_integer_part(p_key text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_length integer;
BEGIN
  IF p_key ~ '^[A-Za-z][0-9A-Za-z]*$' THEN
    v_length := position_integer_length(left(p_key, 1));
    -- The smallest integer has no key below it, so it may only start a longer key.
    IF length(p_key) >= v_length AND p_key <> 'A' || repeat('0', 26)
       AND (length(p_key) = v_length OR right(p_key, 1) <> '0') THEN
      RETURN left(p_key, v_length);
    END IF;
  END IF;
  RAISE EXCEPTION 'malformed position key: %', p_key USING ERRCODE = 'TDP02';
END
$$;

-- The integer part after p_integer (p_step 1) or before it (p_step -1); NULL past the
-- largest or the smallest.
CREATE FUNCTION position_step_integer(p_integer text, p_step integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
DECLARE
  c_digits CONSTANT text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  c_heads CONSTANT text := 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  -- Stepping past this digit carries (up) or borrows (down), leaving the other one.
  v_edge text := CASE p_step WHEN 1 THEN 'z' ELSE '0' END;
  v_wrapped text := CASE p_step WHEN 1 THEN '0' ELSE 'z' END;
  v_head text := left(p_integer, 1);
  v_digits text := substr(p_integer, 2);
  v_last integer := length(v_digits);
  v_head_after text;
BEGIN
  WHILE v_last > 0 AND substr(v_digits, v_last, 1) = v_edge LOOP
    v_last := v_last - 1;
  END LOOP;
  IF v_last > 0 THEN
    RETURN v_head || left(v_digits, v_last - 1)
      || substr(c_digits, strpos(c_digits, substr(v_digits, v_last, 1)) + p_step, 1)
      || repeat(v_wrapped, length(v_digits) - v_last);
  END IF;
  -- Every digit steps past the edge: the next head, with its own length ('az' → 'b00',
  -- 'Zz' → 'a0', 'a0' → 'Zz', 'b00' → 'az'); substr gives '' past 'z' and before 'A'.
  v_head_after := substr(c_heads, strpos(c_heads, v_head) + p_step, 1);
  IF v_head_after = '' THEN
    RETURN NULL;
  END IF;
  RETURN v_head_after || repeat(v_wrapped, position_integer_length(v_head_after) - 1);
END
$$;

-- A fraction strictly between two fractions read as base-62 digits after a point: p_lower
-- may be empty, p_upper NULL means 1. Called with p_lower < p_upper, neither ending in '0'.
CREATE FUNCTION position_midpoint(p_lower text, p_upper text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
DECLARE
  c_digits CONSTANT text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  v_lower text := p_lower;
  v_upper text := p_upper;
  v_result text := '';
  v_common integer;
  v_low_digit integer;
  v_high_digit integer;
BEGIN
  LOOP
    IF v_upper IS NOT NULL THEN
      -- Keep the common prefix, reading a missing digit of the lower bound as '0'.
      v_common := 0;
      WHILE coalesce(nullif(substr(v_lower, v_common + 1, 1), ''), '0')
            = substr(v_upper, v_common + 1, 1) LOOP
        v_common := v_common + 1;
      END LOOP;
      v_result := v_result || left(v_upper, v_common);
      v_lower := substr(v_lower, v_common + 1);
      v_upper := substr(v_upper, v_common + 1);
    END IF;
    v_low_digit := coalesce(strpos(c_digits, nullif(left(v_lower, 1), '')) - 1, 0);
    v_high_digit := coalesce(strpos(c_digits, left(v_upper, 1)) - 1, 62);
    IF v_high_digit - v_low_digit > 1 THEN
      RETURN v_result || substr(c_digits, (v_low_digit + v_high_digit + 1) / 2 + 1, 1);
    END IF;
    IF length(v_upper) > 1 THEN
      RETURN v_result || left(v_upper, 1);
    END IF;
    -- Consecutive digits: keep the lower one and go on between the rest of the lower
    -- bound and 1 ('49', '5' → '4' then between '9' and 1 → '495').
    v_result := v_result || substr(c_digits, v_low_digit + 1, 1);
    v_lower := substr(v_lower, 2);
    v_upper := NULL;
  END LOOP;
END
$$;

-- A key strictly between p_before and p_after; NULL p_before is the start of the list, NULL
-- p_after its end, both NULL 'a0'. Appending (p_after NULL) takes the next integer.
CREATE FUNCTION position_between(p_before text, p_after text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
DECLARE
  v_before_integer text := position_integer_part(p_before);
  v_after_integer text := position_integer_part(p_after);
  v_next text;
BEGIN
  IF p_before COLLATE "C" >= p_after THEN
    RAISE EXCEPTION 'no position key between % and %: they are not in order', p_before, p_after
      USING ERRCODE = 'TDP01';
  END IF;

  IF p_before IS NULL THEN
    IF p_after IS NULL THEN
      RETURN 'a0';
    END IF;
    IF v_after_integer = 'A' || repeat('0', 26) THEN
      RETURN v_after_integer
        || position_midpoint('', substr(p_after, length(v_after_integer) + 1));
    END IF;
    -- p_after has a fraction: its integer part alone sorts below it.
    IF v_after_integer <> p_after THEN
      RETURN v_after_integer;
    END IF;
    RETURN position_step_integer(v_after_integer, -1);
  END IF;

  IF p_after IS NULL THEN
    v_next := position_step_integer(v_before_integer, 1);
    IF v_next IS NOT NULL THEN
      RETURN v_next;
    END IF;
    RETURN v_before_integer || position_midpoint(substr(p_before, length(v_before_integer) + 1), NULL);
  END IF;

  IF v_before_integer = v_after_integer THEN
    RETURN v_before_integer || position_midpoint(
      substr(p_before, length(v_before_integer) + 1), substr(p_after, length(v_after_integer) + 1));
  END IF;
  -- The integer parts differ, so p_before's is not the largest and has a next one.
  v_next := position_step_integer(v_before_integer, 1);
  IF v_next COLLATE "C" < p_after THEN
    RETURN v_next;
  END IF;
  RETURN v_before_integer || position_midpoint(substr(p_before, length(v_before_integer) + 1), NULL);
END
$$;

-- The key of the p_index-th append to an empty list (0 → 'a0', 61 → 'az', 62 → 'b00'), the
-- same as position_between(NULL, NULL) then position_between(previous, NULL) over and over,
-- computed directly: the head letter 'a' has 62 keys of one digit, 'b' 62² of two, and so on.
CREATE FUNCTION position_key(p_index bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
DECLARE
  c_digits CONSTANT text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  v_rest numeric := p_index;
  v_width integer := 1;
  v_digits text := '';
BEGIN
  IF p_index < 0 THEN
    RAISE EXCEPTION 'position key index must not be negative: %', p_index
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  WHILE v_rest >= 62::numeric ^ v_width LOOP
    v_rest := v_rest - 62::numeric ^ v_width;
    v_width := v_width + 1;
  END LOOP;
  FOR i IN 1..v_width LOOP
    v_digits := substr(c_digits, (v_rest % 62)::integer + 1, 1) || v_digits;
    v_rest := div(v_rest, 62);
  END LOOP;
  RETURN chr(ascii('a') + v_width - 1) || v_digits;
END
$$;
