-- Sponsor names one character per token, so that a phrase query finds a substring of any
-- length, including the two-character ones the trigram index cannot answer. Contentless: the
-- registry writes the spaced name itself (registry::index_sponsor_name).
CREATE VIRTUAL TABLE sponsor_chars USING fts5 (
    chars, content = '', contentless_delete = 1, tokenize = 'unicode61'
);
