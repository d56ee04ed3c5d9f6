-- SPDX-License-Identifier: GPL-2.0-or-later
-- ctd schema, migration 5: the audit log readable through the `audit`
-- method (cgi/store_audit.c).
--
-- audit: the caller's role when the row was written (roles may change
-- later), and a message beside the result (a kill_matching summary's
-- counts); NULL in rows written before.  Pages are read newest first,
-- whole or per user or per action.
ALTER TABLE audit ADD COLUMN role TEXT;
ALTER TABLE audit ADD COLUMN message TEXT;
CREATE INDEX audit_user ON audit(user, time);
CREATE INDEX audit_method ON audit(method, time);
