// SPDX-License-Identifier: GPL-2.0-or-later
// The console's words, in one table: every string the page shows is a key
// here, in English and French.  t(key, {name: value}) gives the string in
// the chosen language with {name} replaced (falling back to English, then
// to the key itself, so a missing translation shows, never breaks).  The
// language comes from the browser's (navigator.languages) unless the
// visible switch chose one, which is kept across reloads (localStorage).
// Numbers and dates are formatted for the chosen language (Intl).
//
// Each panel keeps its keys in its own section below, in both languages.
const MESSAGES = {
	en: {
		// -- page
		'lang.name': 'English',
		// -- kill matching
		// -- audit
		// -- live
		// -- expectations
		// -- export
	},
	fr: {
		// -- page
		'lang.name': 'Français',
		// -- kill matching
		// -- audit
		// -- live
		// -- expectations
		// -- export
	},
};

export const LANGS = Object.keys(MESSAGES);
const KEY = 'ctd.lang';

function fromBrowser() {
	const wanted = (typeof navigator !== 'undefined' && navigator.languages) || [];
	for (const l of wanted) {
		const base = String(l).toLowerCase().split('-')[0];
		if (LANGS.includes(base)) return base;
	}
	return 'en';
}

let current = null;

export function lang() {
	if (current) return current;
	let saved = null;
	try { saved = localStorage.getItem(KEY); } catch (e) { /* storage off */ }
	current = LANGS.includes(saved) ? saved : fromBrowser();
	return current;
}

// Choose a language; listeners of 'ctd-lang' on document redraw their text.
export function setLang(l) {
	if (!LANGS.includes(l)) return;
	current = l;
	try { localStorage.setItem(KEY, l); } catch (e) { /* storage off */ }
	document.documentElement.lang = l;
	document.dispatchEvent(new CustomEvent('ctd-lang', { detail: l }));
}

export function t(key, vars) {
	const s = MESSAGES[lang()][key] ?? MESSAGES.en[key] ?? key;
	return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
}

// A number with the language's grouping and decimal mark.
export function num(n, digits) {
	const o = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
	return new Intl.NumberFormat(lang(), o).format(Number(n) || 0);
}

// A unix time as the language writes date and time.
export function dateTime(unix) {
	return new Intl.DateTimeFormat(lang(), { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(unix * 1000));
}
