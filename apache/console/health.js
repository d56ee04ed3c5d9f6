// SPDX-License-Identifier: GPL-2.0-or-later
// The table-health strip above the table: is the kernel's table about to
// overflow?  After each view() answer it reads stats() (cheap: never a
// dump) and draws a fill gauge count/max, amber above 80% and red above
// 95% (LEVELS), and the counters that move when the table is full (drop,
// insert_failed, early_drop) with their change since the previous reading.
// #health carries panel.js's [data-loads] and [data-busy]; #gauge
// [data-level] is ok, amber or red (tests read them).
import { $, el } from './dom.js';
import { panelCall } from './panel.js';
import { group, percent, delta } from './format.js';
import { onView } from './view.js';

// Highest fill first: the first threshold the fill is above names the level.
const LEVELS = [
	{ above: 0.95, level: 'red', says: 'nearly full: new connections are about to be dropped' },
	{ above: 0.8, level: 'amber', says: 'filling up' },
];
const COUNTERS = [
	['drop', 'Dropped', 'packets dropped because the table was full'],
	['insert_failed', 'Insert failed', 'entries the kernel could not insert'],
	['early_drop', 'Early drops', 'entries evicted early to make room'],
];

let prev = null;	// the previous stats() answer, for the counters' change

const stats = panelCall('health', 'stats', draw, (text, gone) => {
	$('gauge').dataset.level = '';
	$('fill-text').textContent = '–';
	$('counters').textContent = '';
	$('health-note').textContent = text;
	$('health-note').className = 'note' + (gone ? '' : ' err');
});

function draw(s) {
	const fill = s.max > 0 ? s.count / s.max : 0;
	const hit = LEVELS.find((l) => fill > l.above);
	const level = hit ? hit.level : 'ok';
	const g = $('gauge');
	g.dataset.level = level;
	g.dataset.fill = String(fill);
	g.className = 'gauge ' + level;
	g.setAttribute('aria-valuenow', (fill * 100).toFixed(1));
	const text = group(s.count) + ' of ' + group(s.max) + ' entries (' + percent(fill) + ')';
	g.setAttribute('aria-valuetext', text + (hit ? ', ' + hit.says : ''));
	$('gauge-fill').style.width = Math.min(100, fill * 100) + '%';
	$('fill-text').textContent = text + (hit ? ' — ' + hit.says : '');
	$('fill-text').className = 'fill-text ' + level;

	const dl = $('counters');
	dl.textContent = '';
	for (const [key, label, what] of COUNTERS) {
		const v = Number(s[key]) || 0;
		const d = prev ? v - (Number(prev[key]) || 0) : null;
		const dt = el('dt', '', label);
		dt.title = what + ' (summed over CPUs, as conntrack -S)';
		const dd = el('dd', d > 0 ? 'moved' : '', group(v));
		dd.dataset.counter = key;
		if (d !== null) dd.append(el('span', 'delta', ' (' + delta(d) + ')'));
		dd.title = d === null ? 'change shown from the next refresh' : delta(d) + ' since the previous refresh';
		dl.append(dt, dd);
	}
	$('health-note').textContent = '';
	$('health-note').className = 'note';
	prev = s;
}

export function initHealth() { onView(() => stats()); }
