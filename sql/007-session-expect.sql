-- SPDX-License-Identifier: GPL-2.0-or-later
-- ctd schema, migration 7: the expectations a session's last
-- `expectations` call listed (cgi/store_expect.c), so that
-- `kill_expectation` acts only on ids that call showed, with the tuple it
-- showed (README API: an id it never listed is fault 5).
--
-- rec: one struct ctd_expect (include/ctd_proto.h), host order.
CREATE TABLE session_expect (
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	id INTEGER NOT NULL,             -- CTA_EXPECT_ID (u32)
	rec BLOB NOT NULL,
	PRIMARY KEY (session_id, id)
) WITHOUT ROWID;
