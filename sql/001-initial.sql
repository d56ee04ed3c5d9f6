-- SPDX-License-Identifier: GPL-2.0-or-later
-- ctd schema version 1.  Applied by ctd.cgi at open when PRAGMA user_version
-- is 0 (the CGI embeds this file at build time).

-- One row per session.  Only the SHA-256 of the token is stored.
CREATE TABLE sessions (
	id INTEGER PRIMARY KEY,
	token_hash BLOB NOT NULL UNIQUE,
	user TEXT NOT NULL,
	bound INTEGER NOT NULL,          -- 1: created under Apache auth, REMOTE_USER must match
	created REAL NOT NULL,           -- unix seconds
	last_used REAL NOT NULL,
	autorefresh INTEGER NOT NULL DEFAULT 0,
	want_refresh INTEGER NOT NULL DEFAULT 1,
	dump_id INTEGER,                 -- snapshot this session's views read
	sort_key TEXT,                   -- filters + order of the cached order below
	sort_total INTEGER,
	sort_idx BLOB                    -- u32 positions into the dump, in view order
);

-- One row per dump of the conntrack table.  The newest one is what the next
-- dump's rates are computed against (global: every client gets rates).
CREATE TABLE dumps (
	id INTEGER PRIMARY KEY,
	time REAL NOT NULL,
	interval REAL NOT NULL,          -- seconds since the dump the rates came from, 0 if none
	accounting INTEGER NOT NULL,
	count INTEGER NOT NULL
);

-- A dump's records: blobs of up to 4096 struct ctd_record (144 bytes each,
-- host order), sorted by id, so one id is found in O(log n).
CREATE TABLE dump_chunks (
	dump_id INTEGER NOT NULL REFERENCES dumps(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	first_id INTEGER NOT NULL,
	n INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (dump_id, seq)
);

-- Every kill/change attempt: written 'pending' before the helper acts,
-- completed with the result after.
CREATE TABLE audit (
	id INTEGER PRIMARY KEY,
	time REAL NOT NULL,
	user TEXT NOT NULL,
	remote_addr TEXT,
	method TEXT NOT NULL,
	conn_id TEXT NOT NULL,
	tuple TEXT NOT NULL,
	detail TEXT,
	result TEXT NOT NULL
);
CREATE INDEX audit_time ON audit(time);
