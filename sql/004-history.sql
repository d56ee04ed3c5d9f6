-- SPDX-License-Identifier: GPL-2.0-or-later
-- ctd schema, migration 4: history, how the table got where it is.
--
-- A row per sample: one at every dump (the table's size, the sum of every
-- row's rate, connections per protocol) and one per `ctd.cgi --sample`
-- (the size and the kernel's cumulative counters, summed over CPUs; no
-- dump).  A column a sample does not carry is NULL.  Kept history_days
-- (ctd.conf), pruned a bounded number of rows at each insert
-- (cgi/store_history.c); `history` averages them into buckets on read.
CREATE TABLE history (
	id INTEGER PRIMARY KEY,
	time REAL NOT NULL,              -- unix s
	kind INTEGER NOT NULL,           -- 1: a dump, 2: ctd.cgi --sample
	count INTEGER NOT NULL,          -- entries in the table
	max INTEGER NOT NULL,            -- nf_conntrack_max, 0 if unknown
	rate REAL,                       -- dump: bytes/s, every row's rate added up
	tcp INTEGER,                     -- dump: connections per protocol
	udp INTEGER,                     --   (icmp: ICMP and ICMPv6)
	icmp INTEGER,
	other INTEGER,
	insert_failed INTEGER,           -- --sample: the counters conntrack -S shows
	drops INTEGER,
	early_drop INTEGER
);
CREATE INDEX history_time ON history(time);
