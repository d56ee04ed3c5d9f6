-- SPDX-License-Identifier: GPL-2.0-or-later
-- ctd schema, migration 6: the tokens of kill_preview (cgi/store_killtoken.c).
--
-- A token names the exact set a preview showed: the records (compact
-- form, reccodec_encode_one, each behind its length byte) of every entry
-- kill_matching will destroy, as the session's snapshot had them (id,
-- tuple, zone).  Only the SHA-256 of the token is stored; a token is
-- bound to its session (gone with it), used once (deleted when taken) and
-- lives kill_token_lifetime seconds; expired ones are purged at the next
-- preview.  At most max_kill records a token.
CREATE TABLE kill_tokens (
	id INTEGER PRIMARY KEY,
	token_hash BLOB NOT NULL UNIQUE,
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	created REAL NOT NULL,
	expires REAL NOT NULL,           -- unix s
	filter TEXT NOT NULL,            -- the filters as text, for the audit summary
	matched INTEGER NOT NULL,        -- entries the filters matched
	ambiguous INTEGER NOT NULL,      -- of those, left alone: their id is another visible entry's too
	n INTEGER NOT NULL,              -- records below (matched - ambiguous)
	records BLOB NOT NULL
);
CREATE INDEX kill_tokens_session ON kill_tokens(session_id);
CREATE INDEX kill_tokens_expires ON kill_tokens(expires);
