// SPDX-License-Identifier: GPL-2.0-or-later
// How numbers, sizes, durations and times read on the page, in the chosen
// language (i18n.js: its Intl helpers and unit words), and how a u32 an
// administrator types is parsed.  No page, no server: parseU32, toI4 and
// u32 do not depend on the language.
import { t, num, dateTime, clockTime } from './i18n.js';

export const U32_MAX = 4294967295;

function human(n, unit) {
	const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
	let v = Number(n) || 0, i = 0;
	while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
	// below 1 KiB a fraction (a rate, an axis label: 0.5 B/s) keeps one digit
	const s = i === 0 ? (Number.isInteger(v) || Math.abs(v) >= 10 ? num(Math.round(v)) : num(v, 1))
		: num(v, v < 10 ? 2 : v < 100 ? 1 : 0);
	return s + ' ' + units[i] + t(unit);
}
export const bytes = (n) => human(n, 'unit.B');
export const rate = (n) => human(n, 'unit.B/s');

export function duration(s) {
	s = Math.max(0, Math.floor(Number(s) || 0));
	if (s < 60) return t('unit.s', { s });
	if (s < 3600) return t('unit.ms', { m: Math.floor(s / 60), s: s % 60 });
	if (s < 86400) return t('unit.hm', { h: Math.floor(s / 3600), m: Math.floor(s % 3600 / 60) });
	return t('unit.dh', { d: Math.floor(s / 86400), h: Math.floor(s % 86400 / 3600) });
}

// ctd sends a mark >= 2^31 as its two's-complement negative i4.
export const u32 = (n) => (Number(n) < 0 ? Number(n) + 4294967296 : Number(n));
// A count with the language's grouping: 1,234 or 1 234.
export const group = (n) => num(n);
// A share (0..1) as a percentage: "84.9%" ("84,9 %"); below 10% one more digit.
export function percent(x) {
	const p = (Number(x) || 0) * 100;
	if (p > 0 && p < 0.01) return '<' + t('unit.pct', { n: num(0.01, 2) });
	return t('unit.pct', { n: num(p, p > 0 && p < 10 ? 2 : 1) });
}
// A counter's change since the previous reading: "+3", "−2", "±0".
export function delta(n) {
	n = Number(n) || 0;
	return (n > 0 ? '+' : n < 0 ? '−' : '±') + group(Math.abs(n));
}
// A count too big for its axis label: 1.2k, 3.4M.
export function short(n) {
	const v = Math.abs(Number(n) || 0);
	const f = (x, u) => (x < 10 && Math.round(x * 10) % 10 ? num(x, 1) : num(Math.round(x))) + u;
	return v >= 1e9 ? f(v / 1e9, 'G') : v >= 1e6 ? f(v / 1e6, 'M') : v >= 1e4 ? f(v / 1e3, 'k') : group(Math.round(v));
}

// A unix time as the language writes date and time.
export const isoTime = (unix) => dateTime(unix);

// Hours and minutes of a unix time, for an axis: "14:05".
export const clock = (unix) => clockTime(unix);

// A unix time as ISO 8601 in local time ("2026-11-30 14:05:09"), the same
// in every language: for files (export.js), not for the page.
export function isoStamp(unix) {
	const d = new Date(unix * 1000);
	const p = (x) => String(x).padStart(2, '0');
	return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' +
		p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
}

// Parse a u32 as an administrator types it: decimal or 0x hex.
export function parseU32(text) {
	const t = String(text).trim();
	let n;
	if (/^0[xX][0-9a-fA-F]{1,8}$/.test(t)) n = parseInt(t, 16);
	else if (/^\d{1,10}$/.test(t)) n = Number(t);
	else return null;
	return n <= U32_MAX ? n : null;
}
// ctd reads a negative i4 for a u32 field as the unsigned value.
export const toI4 = (n) => (n > 2147483647 ? n - 4294967296 : n);
