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
import { t } from './i18n.js';

// Highest fill first: the first threshold the fill is above names the level.
// (what a level says is i18n.js's 'health.' + level)
const LEVELS = [
	{ above: 0.95, level: 'red' },
	{ above: 0.8, level: 'amber' },
];
// a counter's label is i18n.js's 'health.' + name, what it counts '.what'
const COUNTERS = [
	['drop', 'drop'],
	['insert_failed', 'insertFailed'],
	['early_drop', 'earlyDrop'],
];

let prev = null;	// the previous stats() answer, for the counters' change
let shown = null;	// [answer, previous answer] drawn, drawn again in a new language

const stats = panelCall('health', 'stats', draw, (text, gone) => {
	$('gauge').dataset.level = '';
	$('fill-text').textContent = '–';
	$('counters').textContent = '';
	$('health-note').textContent = text;
	$('health-note').className = 'note' + (gone ? '' : ' err');
}, () => drawWith(...shown));

function draw(s) {
	drawWith(s, prev);
	prev = s;
}

function drawWith(s, prev) {
	shown = [s, prev];
	const fill = s.max > 0 ? s.count / s.max : 0;
	const hit = LEVELS.find((l) => fill > l.above);
	const level = hit ? hit.level : 'ok';
	const g = $('gauge');
	g.dataset.level = level;
	g.dataset.fill = String(fill);
	g.className = 'gauge ' + level;
	g.setAttribute('aria-valuenow', (fill * 100).toFixed(1));
	const text = t('health.fill', { count: group(s.count), max: group(s.max), pct: percent(fill) });
	const says = hit ? t('health.' + hit.level) : '';
	g.setAttribute('aria-valuetext', text + (hit ? ', ' + says : ''));
	$('gauge-fill').style.width = Math.min(100, fill * 100) + '%';
	$('fill-text').textContent = text + (hit ? ' — ' + says : '');
	$('fill-text').className = 'fill-text ' + level;

	const dl = $('counters');
	dl.textContent = '';
	for (const [key, name] of COUNTERS) {
		const v = Number(s[key]) || 0;
		const d = prev ? v - (Number(prev[key]) || 0) : null;
		const dt = el('dt', '', t('health.' + name));
		dt.title = t('health.summed', { what: t('health.' + name + '.what') });
		const dd = el('dd', d > 0 ? 'moved' : '', group(v));
		dd.dataset.counter = key;
		if (d !== null) dd.append(el('span', 'delta', ' (' + delta(d) + ')'));
		dd.title = d === null ? t('health.deltaLater') : t('health.deltaSince', { delta: delta(d) });
		dl.append(dt, dd);
	}
	$('health-note').textContent = '';
	$('health-note').className = 'note';
}

export function initHealth() { onView(() => stats()); }
