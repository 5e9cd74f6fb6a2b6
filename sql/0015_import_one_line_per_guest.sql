-- SPDX-License-Identifier: MIT
-- One line per stored guest in a bulk-import batch.
--
-- import_batch() (sql/0011) writes each table with one statement for the whole batch. guestd
-- never puts two lines naming the same external reference in one batch, but two lines may reach
-- one stored guest through *different* references (a PMS profile number and a CRS one). Both then
-- met in the one UPDATE of the guest, where PostgreSQL applies a single source row, an arbitrary
-- one, although both lines were answered "updated".
--
-- Such a batch is now refused after the fact, from the very lookup that drove its writes (the
-- session's import_line rows), so its transaction rolls back whole. guestd writes a refused
-- batch again line by line, each line in its own transaction and in file order (db/import.c),
-- so every line is applied, in order. Such batches are rare; the others pay one scan of at most
-- a batch's rows.
ALTER FUNCTION import_batch(jsonb) RENAME TO import_batch_lines;

CREATE FUNCTION import_batch(p_lines jsonb)
    RETURNS TABLE (line bigint, status text, guest_id uuid, detail text, field text)
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM import_batch_lines(p_lines);
    IF EXISTS (SELECT 1 FROM pg_temp.import_line l WHERE l.problem IS NULL AND NOT l.created
               GROUP BY l.guest_id HAVING count(*) > 1) THEN
        RAISE EXCEPTION 'two lines of an import batch reach one stored guest'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'import_batch_one_line_per_guest';
    END IF;
END
$$;
COMMENT ON FUNCTION import_batch(jsonb) IS
    'One batch of POST /v1/guests/import and guestd import: [{n, guest, absent, sections}] -> a result per line; '
    'refused when two lines reach one stored guest';
