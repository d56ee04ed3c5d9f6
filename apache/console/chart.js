// SPDX-License-Identifier: GPL-2.0-or-later
// The History panel: how the table got here.  After each view() answer it
// reads history() for the last hour or day (the toggle) and draws two
// panes sharing one time axis, connections and the total rate, as plain
// SVG drawn at the plot's own pixel width (redrawn when that changes), so
// its text stays readable from a phone to a wide screen.  A gap in the
// samples (no dump then) is a gap in the line.  #chart carries panel.js's
// [data-loads] and [data-busy], #chart-plot[data-samples] counts the
// samples drawn.
import { $, el } from './dom.js';
import { panelCall } from './panel.js';
import { group, short, rate, clock, isoTime } from './format.js';
import { onView } from './view.js';
import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
// points: history()'s buckets, 10 s (the demo's sampling) and 5 min wide
const SPANS = {
	hour: { secs: 3600, points: 360, tick: 900, name: 'hour' },
	day: { secs: 86400, points: 288, tick: 4 * 3600, name: 'day' },
};
// Layout in pixels: left margin for the value labels, two panes.
const L = 64, R = 10, PANE = 78, TOP1 = 22, TOP2 = TOP1 + PANE + 34, H = TOP2 + PANE + 24;
const SERIES = [
	{ key: 'count', cls: 'count', title: 'chart.count', top: TOP1, label: short, now: (v) => group(Math.round(v)) },
	{ key: 'rate', cls: 'rate', title: 'chart.rate', top: TOP2, label: rate, now: rate },
];

let span = 'hour', last = null, drawnWidth = 0;

function svg(tag, attrs, text) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
	if (text !== undefined) e.textContent = text;
	return e;
}

// 1, 2 or 5 times a power of ten at or above v, for a pane's top.
function niceMax(v) {
	if (!(v > 0)) return 1;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= v);
}

const history = panelCall('chart', 'history', (res) => { last = res; draw(); }, (text, gone) => {
	last = null;
	$('chart-plot').textContent = '';
	$('chart-plot').dataset.samples = '0';
	$('chart-foot').textContent = text;
	$('chart-foot').className = 'panel-foot' + (gone ? '' : ' err');
});

function loadChart() {
	const until = Math.floor(Date.now() / 1000);
	history({ since: until - SPANS[span].secs, until, points: SPANS[span].points });
}

function draw() {
	const plot = $('chart-plot');
	plot.textContent = '';
	const samples = (last.samples || []).filter((s) => typeof s.time === 'number').sort((a, b) => a.time - b.time);
	plot.dataset.samples = String(samples.length);
	drawnWidth = plot.clientWidth;
	$('chart-foot').className = 'panel-foot';
	if (samples.length < 2) {
		plot.append(el('p', 'plot-empty', t('chart.few.' + SPANS[span].name, { n: group(samples.length) })));
		$('chart-foot').textContent = '';
		return;
	}
	const W = Math.max(260, Math.floor(plot.clientWidth));
	const since = Number(last.since), until = Number(last.until);
	const x = (t) => L + (t - since) / Math.max(1, until - since) * (W - L - R);
	const now = samples[samples.length - 1];
	const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img',
		'aria-labelledby': 'chart-desc', class: 'chart' });
	const desc = t('chart.desc', { since: isoTime(since), until: isoTime(until), n: group(samples.length),
		count: group(Math.round(now.count)) });
	root.append(svg('title', { id: 'chart-desc' }, desc));
	for (const s of SERIES) drawPane(root, s, samples, x, W);
	// time axis under the lower pane
	const step = SPANS[span].tick;
	for (let t = Math.ceil(since / step) * step; t <= until; t += step) {
		root.append(svg('line', { x1: x(t), x2: x(t), y1: TOP1, y2: TOP2 + PANE, class: 'tick' }));
		if (x(t) > L + 14 && x(t) < W - 18)
			root.append(svg('text', { x: x(t), y: H - 6, class: 'axis mid' }, clock(t)));
	}
	plot.append(root);
	// the panes' titles carry the latest figures (a --sample one has no rate)
	$('chart-foot').textContent = t('chart.foot', { n: group(samples.length), from: clock(samples[0].time),
		to: clock(now.time), max: group(Math.round(now.max)) });
}

function drawPane(root, s, samples, x, W) {
	const vals = samples.map((p) => (typeof p[s.key] === 'number' ? p[s.key] : null));
	const top = niceMax(Math.max(0, ...vals.filter((v) => v !== null)));
	const y = (v) => s.top + PANE - v / top * PANE;
	const nowV = vals.filter((v) => v !== null).pop();
	root.append(svg('text', { x: L, y: s.top - 8, class: 'pane-title ' + s.cls },
		nowV !== undefined ? t('chart.now', { title: t(s.title), value: s.now(nowV) }) : t(s.title)));
	for (const v of [0, top / 2, top]) {
		root.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: v ? 'grid' : 'base' }));
		root.append(svg('text', { x: L - 6, y: y(v) + 4, class: 'axis end' }, s.label(v)));
	}
	// a null value (a sample without this figure) breaks the line
	let d = '', pen = false;
	samples.forEach((p, i) => {
		if (vals[i] === null) { pen = false; return; }
		d += (pen ? 'L' : 'M') + x(p.time).toFixed(1) + ' ' + y(vals[i]).toFixed(1) + ' ';
		pen = true;
	});
	root.append(svg('path', { d: d.trim(), class: 'line ' + s.cls }));
	if (samples.length <= 60)
		samples.forEach((p, i) => {
			if (vals[i] !== null) root.append(svg('circle', { cx: x(p.time), cy: y(vals[i]), r: 2.5, class: 'dot ' + s.cls }));
		});
}

function setSpan(name) {
	span = name;
	$('chart-hour').setAttribute('aria-pressed', String(name === 'hour'));
	$('chart-day').setAttribute('aria-pressed', String(name === 'day'));
	loadChart();
}

export function initChart() {
	$('chart-hour').addEventListener('click', () => setSpan('hour'));
	$('chart-day').addEventListener('click', () => setSpan('day'));
	// drawn at the plot's width: draw again when it changes (narrow screen,
	// the side column moving under or beside the table)
	new ResizeObserver(() => {
		if (last && Math.abs($('chart-plot').clientWidth - drawnWidth) > 8) draw();
	}).observe($('chart-plot'));
	onView(loadChart);
}
