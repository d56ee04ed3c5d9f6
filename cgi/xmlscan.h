/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xmlscan.h - the pre-parse scan of a request body: element nesting,
 * counted in one pass before xmlrpc-c builds a tree (README, Security model).
 */
#ifndef CTD_XMLSCAN_H
#define CTD_XMLSCAN_H

#include <stddef.h>

/* Deepest element nesting a request may have: 65 is refused (HTTP 400).
 * A normal call, multicall with filter structs included, stays under 20. */
#define CTD_XML_DEPTH_MAX 64u

enum xml_scan {
	XML_SCAN_OK = 0,
	XML_SCAN_DEEP, /* an element nested deeper than max_depth */
	XML_SCAN_BAD,  /* markup that could hide tags from this count (not XML either) */
};

/* Scans len bytes (NULs are the caller's business: they are refused before).
 * *deepest gets the deepest nesting seen, at most max_depth + 1 (the scan
 * stops there).  Never reads outside buf[0..len). */
enum xml_scan xml_scan_depth(const char *buf, size_t len, unsigned max_depth, unsigned *deepest);

#endif
