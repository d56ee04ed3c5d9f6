-- SPDX-License-Identifier: GPL-2.0-or-later
-- ctd schema, migration 2: dumps are shared between sessions.
--
-- A view that needs a fresh table takes the newest dump that began after
-- its session asked for one (login, refresh) -- or, with autorefresh N, one
-- younger than N s -- instead of dumping again; only one CGI dumps at a
-- time.  Many clients watching one table then cost one dump, not one each.
ALTER TABLE dumps ADD COLUMN started REAL NOT NULL DEFAULT 0;   -- unix s, before the helper ran
ALTER TABLE sessions ADD COLUMN refresh_after REAL NOT NULL DEFAULT 0;  -- unix s of the last login/refresh
