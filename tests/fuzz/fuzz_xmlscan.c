// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_xmlscan - libFuzzer target for the pre-parse nesting scan
 * (cgi/xmlscan.c).  Beyond "no crash, no read outside the input": the
 * depth it reports never exceeds the limit + 1; a body it accepts is
 * accepted again under a limit equal to the depth it saw, and refused as
 * too deep under one less (the count is exact, whatever the input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmlscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	char *copy = malloc(size ? size : 1);
	unsigned deepest, again;
	enum xml_scan r;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = xml_scan_depth(copy, size, CTD_XML_DEPTH_MAX, &deepest);
	if (deepest > CTD_XML_DEPTH_MAX + 1)
		abort();
	if (r == XML_SCAN_DEEP && deepest != CTD_XML_DEPTH_MAX + 1)
		abort();
	if (r == XML_SCAN_OK) {
		if (xml_scan_depth(copy, size, deepest, &again) != XML_SCAN_OK || again != deepest)
			abort();
		if (deepest > 0 && xml_scan_depth(copy, size, deepest - 1, &again) != XML_SCAN_DEEP)
			abort();
	}
	free(copy);
	return 0;
}
