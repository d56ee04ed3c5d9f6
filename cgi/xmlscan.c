// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xmlscan.c - counts element nesting in a request body, before xmlrpc-c
 * parses it.
 *
 * xmlrpc-c builds the whole parse tree first and applies its own nesting
 * limit to values afterwards; it frees that tree recursively, so a body of
 * ~200,000 nested elements (a 1 MiB body holds ~349,000) overflows the
 * stack and ctd.cgi dies of SIGSEGV before any session is checked.  This
 * scan refuses such a body in one linear pass, with no allocation and no
 * recursion.  It follows XML's lexical rules only as far as it must to
 * count start and end tags: comments, CDATA sections and processing
 * instructions are skipped whole, quoted attribute values may hold '>' and
 * '/', and a start tag ending in "/>" opens nothing.
 *
 * Where the body is not XML the count must stay an upper bound of what any
 * parser could nest, never a guess that lets nesting past it:
 *  - a construct left open at the end of the body ends the scan (nothing
 *    can follow it; the parser refuses the truncated document);
 *  - an end tag with nothing open is ignored (counting from below zero
 *    would hide as many start tags);
 *  - '<' not followed by a name is text for this count (it opens nothing);
 *  - what could make the scan skip tags a parser then sees is refused: a
 *    quote that does not open an attribute value, '<' inside a tag, and
 *    declarations other than comments and CDATA.  XML forbids all three.
 */
#include <stdbool.h>
#include <string.h>

#include "xmlscan.h"

static bool starts(const char *p, size_t left, const char *lit)
{
	size_t n = strlen(lit);

	return left >= n && memcmp(p, lit, n) == 0;
}

/* Index just past the first `end` at or after `from`, or len when absent
 * (the construct runs to the end of the body). */
static size_t past(const char *buf, size_t len, size_t from, const char *end)
{
	const char *hit;

	if (from >= len)
		return len;
	hit = memmem(buf + from, len - from, end, strlen(end));
	return hit ? (size_t)(hit - buf) + strlen(end) : len;
}

static bool name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum tag { TAG_OPEN, TAG_SELFCLOSE, TAG_UNTERMINATED, TAG_BAD };

/* A start or end tag whose '<' is at buf[i]: *next is just past its '>'.
 * A quote may only open an attribute value (after '='), and '<' may appear
 * nowhere in a tag, not even in a value (XML forbids it there): so a stray
 * quote cannot make the scan skip over tags that a parser then sees. */
static enum tag tag_end(const char *buf, size_t len, size_t i, size_t *next)
{
	char quote = 0, prev = 0;
	size_t j;

	for (j = i + 1; j < len; j++) {
		char c = buf[j];

		if (quote) {
			if (c == '<')
				return TAG_BAD;
			if (c == quote) {
				quote = 0;
				prev = c;
			}
			continue;
		}
		if (c == '<')
			return TAG_BAD;
		if (c == '"' || c == '\'') {
			if (prev != '=')
				return TAG_BAD;
			quote = c;
			continue;
		}
		if (c == '>') {
			*next = j + 1;
			/* only "/>" itself closes: "/ >" counts as opening (the safe side) */
			return buf[j - 1] == '/' ? TAG_SELFCLOSE : TAG_OPEN;
		}
		if (!blank(c))
			prev = c;
	}
	return TAG_UNTERMINATED;
}

enum xml_scan xml_scan_depth(const char *buf, size_t len, unsigned max_depth, unsigned *deepest)
{
	unsigned depth = 0;
	size_t i = 0;

	*deepest = 0;
	while (i < len) {
		const char *lt = memchr(buf + i, '<', len - i);
		size_t left, next = len;
		enum tag tag;

		if (!lt)
			break;
		i = (size_t)(lt - buf);
		left = len - i;
		if (starts(lt, left, "<!--")) {
			next = past(buf, len, i + 4, "-->");
		} else if (starts(lt, left, "<![CDATA[")) {
			next = past(buf, len, i + 9, "]]>");
		} else if (starts(lt, left, "<?")) {
			next = past(buf, len, i + 2, "?>");
		} else if (starts(lt, left, "<!")) {
			/* DOCTYPE and ENTITY are refused before this scan; nothing
			 * else of that kind belongs in a request either */
			return XML_SCAN_BAD;
		} else if (starts(lt, left, "</")) {
			tag = tag_end(buf, len, i + 1, &next);
			if (tag == TAG_BAD || tag == TAG_SELFCLOSE)
				return XML_SCAN_BAD;
			if (tag == TAG_UNTERMINATED)
				break;
			if (depth > 0)
				depth--;
		} else if (left < 2 || !name_start((unsigned char)lt[1])) {
			next = i + 1; /* text to this count; a parser refuses it */
		} else {
			tag = tag_end(buf, len, i, &next);
			if (tag == TAG_BAD)
				return XML_SCAN_BAD;
			if (tag == TAG_UNTERMINATED)
				break;
			if (tag == TAG_OPEN) {
				depth++;
				if (depth > *deepest)
					*deepest = depth;
				if (depth > max_depth)
					return XML_SCAN_DEEP;
			}
		}
		i = next;
	}
	return XML_SCAN_OK;
}
