-- SPDX-License-Identifier: GPL-2.0-or-later
-- ctd schema, migration 3: stored dumps are compact.
--
-- A chunk's data is no longer an array of fixed 144-byte records but the
-- variable-length encoding of cgi/reccodec.h (about 45 bytes per IPv4
-- entry, with an offset table so one record is still read without the
-- rest).  Dumps in the old form cannot be read any more: they go, and
-- every session takes a fresh dump at its next view.
UPDATE sessions SET dump_id = NULL, want_refresh = 1, sort_key = NULL, sort_idx = NULL, sort_total = NULL;
DELETE FROM dump_chunks;
DELETE FROM dumps;
