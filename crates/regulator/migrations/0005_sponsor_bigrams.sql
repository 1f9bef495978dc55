-- Sponsor names as overlapping two-character tokens (issue 14): a two-character query is one
-- token, read straight from the index, instead of a phrase of two single characters whose
-- position lists (公, 司, 有, 限 ... are in nearly every name) the unigram index had to
-- intersect. Contentless: the registry writes the tokens itself
-- (registry::index_sponsor_name). A one-character name is its own token.
CREATE VIRTUAL TABLE sponsor_bigrams USING fts5 (
    grams, content = '', contentless_delete = 1, tokenize = 'unicode61'
);
INSERT INTO sponsor_bigrams (rowid, grams)
WITH RECURSIVE g (id, name, i, acc) AS (
    SELECT id, replace(name, ' ', ''), 1, '' FROM sponsors
    UNION ALL
    SELECT id, name, i + 1, acc || CASE WHEN acc = '' THEN '' ELSE ' ' END || substr(name, i, 2)
    FROM g WHERE i < length(name)
)
SELECT id, CASE WHEN length(name) < 2 THEN name ELSE acc END FROM g
WHERE i = CASE WHEN length(name) < 2 THEN 1 ELSE length(name) END;
DROP TABLE sponsor_chars;
