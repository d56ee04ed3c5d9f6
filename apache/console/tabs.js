// SPDX-License-Identifier: GPL-2.0-or-later
// The tab bar under the header: Connections (the table and its panels),
// Live (events), Expectations and, for operators, Audit.  The page is one
// document: body[data-tab] says which tab shows and the stylesheet hides
// the rest (the filter form shows on Connections and Live, whose feed it
// filters).  A module that owns a tab registers show/hide with onTab();
// hide runs when another tab is chosen, so a tab that polls (live.js)
// stops.  Tabs follow the ARIA tabs pattern: one tab stop, arrows move.
// The tabs' names are index.html's data-i18n text (ctd.js translates).
import { $ } from './dom.js';

const TABS = ['conns', 'live', 'expect', 'audit'];
const handlers = new Map();	// tab -> [{show, hide}]
let current = 'conns';

export const currentTab = () => current;

// show() runs each time the tab is chosen, hide() when it is left.
export function onTab(tab, show, hide) {
	if (!handlers.has(tab)) handlers.set(tab, []);
	handlers.get(tab).push({ show, hide });
}

const tabButton = (tab) => $('tab-' + tab);

export function selectTab(tab, focus) {
	if (!TABS.includes(tab) || tabButton(tab).hidden) return;
	const old = current;
	current = tab;
	document.body.dataset.tab = tab;
	for (const x of TABS) {
		const b = tabButton(x);
		const on = x === tab;
		b.setAttribute('aria-selected', on ? 'true' : 'false');
		b.tabIndex = on ? 0 : -1;
		const panel = $(b.getAttribute('aria-controls'));
		if (panel && x !== 'conns') panel.hidden = !on;
	}
	if (focus) tabButton(tab).focus();
	if (old !== tab)
		for (const h of handlers.get(old) || []) if (h.hide) h.hide();
	for (const h of handlers.get(tab) || []) if (h.show) h.show(old);
}

function keyNav(ev) {
	const shown = TABS.filter((x) => !tabButton(x).hidden);
	const i = shown.indexOf(current);
	const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: shown.length - 1 }[ev.key];
	if (to === undefined) return;
	ev.preventDefault();
	selectTab(shown[(to + shown.length) % shown.length], true);
}


export function initTabs() {
	document.body.dataset.tab = current;
	for (const x of TABS)
		tabButton(x).addEventListener('click', () => selectTab(x));
	$('tabs').addEventListener('keydown', keyNav);
}
