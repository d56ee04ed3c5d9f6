// SPDX-License-Identifier: GPL-2.0-or-later
// The Live tab: connections as they open and close, from the events()
// long poll (conntrack -E).  One call is one subscription window: it
// returns once events arrived (after the server's 250 ms batching) or
// after WAIT seconds; the next call starts at once.  Events between two
// windows are not seen, so each gap is measured (window_start of a call
// minus window_end of the one before) and said, and the table is read
// afresh when the Connections tab shows again.  The filter the table
// shows applies (a new filter starts a new window); polling runs only
// while the tab is open, not paused and the document visible.  Newest
// first, at most KEEP rows.  A closed connection shows its final bytes
// when the kernel counts them (accounting).  Warnings: events the kernel
// dropped (lost > 0: the feed is incomplete) and net.netfilter.
// nf_conntrack_events not 1 (stats' events_sysctl: closes of connections
// older than the feed may not be reported).  #live carries [data-running]
// and [data-windows] (finished calls), [data-more] (windows that ended at
// MAX: the server's more; the rest of such a window is not delivered, and
// the tab says so) for tests.
import { $, el } from './dom.js';
import { state, resetPage } from './state.js';
import { session, rpc } from './session.js';
import { faultText, missing } from './status.js';
import { t, num } from './i18n.js';
import { bytes } from './format.js';
import { load, onView } from './view.js';
import { onTab } from './tabs.js';
import { protoName, endpoint, labelCells } from './rowtext.js';

const WAIT = 10;	// seconds a call may wait for events (server maximum 25)
const MAX = 2000;	// events per window (server maximum 5000)
const KEEP = 2000;	// rows kept in the feed
const RATE_SPAN = 10;	// seconds the events-per-second figure covers

let open = false;	// the Live tab is the one shown
let paused = false;
let gen = 0;		// a new run (start, filter change) makes older answers stale
let running = false;
let windows = 0;
let lastEnd = null;	// window_end of the previous call of this run
let gapTotal = 0;	// seconds not watched between windows
let lostTotal = 0;
let cutWindows = 0;	// windows that ended at MAX: their later events were not delivered
let sawAnything = false;	// the table is older than what the feed showed
let recent = [];	// server times of recent events (events per second)
let clockSkew = 0;	// server time - client time, from the last window
let rateTimer = null;
let filterKey = '';
let accounting = true;	// from the newest view() answer
let feed = [];		// the events shown, newest first (drawn again in a new language)
let lastGap = null;	// the gap before the newest window (s)
let stoppedAt = null;	// server time the previous run stopped (paused, hidden, refiltered)

const live = () => $('live');
const want = () => open && !paused && !document.hidden && !!session.id;

function update() {
	if (want() && !running) start();
	else if (!want() && running) stop();
	drawState();
}

function start() {
	const mine = ++gen;
	running = true;
	lastEnd = null;
	filterKey = JSON.stringify(state.filters);
	live().dataset.running = '1';
	if (!rateTimer) rateTimer = setInterval(drawRate, 1000);
	poll(mine);
}

function stop() {
	++gen;
	if (windows > 0) stoppedAt = Date.now() / 1000 + clockSkew;
	running = false;
	live().dataset.running = '0';
	if (rateTimer) { clearInterval(rateTimer); rateTimer = null; }
	drawRate();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function poll(mine) {
	while (mine === gen) {
		let res;
		try {
			res = await rpc('events', [state.filters, { wait: WAIT, max: MAX }], true);
		} catch (e) {
			if (mine !== gen) return;
			if (missing(e)) {
				note(t('live.missing'), false);
				paused = true;
				stop();
				drawState();
				$('live-pause').disabled = true;
				return;
			}
			note(t('live.failed', { fault: faultText(e) }), true);
			await sleep(3000);
			continue;
		}
		if (mine !== gen) return;	// stopped or refiltered meanwhile
		note('', false);
		took(res);
	}
}

function took(res) {
	windows++;
	live().dataset.windows = String(windows);
	const start = Number(res.window_start) || 0, end = Number(res.window_end) || 0;
	clockSkew = end - Date.now() / 1000;
	if (lastEnd !== null && start > lastEnd) gapTotal += start - lastEnd;
	// a new run after a stop: the time not watched is a line of the feed
	if (lastEnd === null && stoppedAt !== null && start > stoppedAt) {
		const gap = { type: 'gap', from: stoppedAt, to: start };
		feed.unshift(gap);
		$('live-rows').prepend(eventRow(gap));
		stoppedAt = null;
	}
	lastGap = lastEnd !== null ? Math.max(0, start - lastEnd) : null;
	lastEnd = end;
	const evs = res.events || [];
	if (evs.length) sawAnything = true;
	// the server lists them oldest first; the feed shows newest first
	const tb = $('live-rows');
	const frag = document.createDocumentFragment();
	for (let i = evs.length - 1; i >= 0; i--) {
		feed.unshift(evs[i]);
		frag.append(eventRow(evs[i]));
	}
	tb.prepend(frag);
	if (feed.length > KEEP) feed.length = KEEP;
	while (tb.rows.length > KEEP) tb.lastElementChild.remove();
	for (const ev of evs) recent.push(Number(ev.time) || end);
	const lost = Number(res.lost) || 0;
	if (lost > 0) {
		lostTotal += lost;
		sawAnything = true;
	}
	if (res.more) {
		cutWindows++;
		sawAnything = true;
	}
	drawCounts();
	drawRate();
}

// The lost-events warning and the windows' gaps.
function drawCounts() {
	const w = $('live-lost');
	w.hidden = lostTotal === 0;
	w.textContent = lostTotal ? t('live.lost', { n: num(lostTotal) }) : '';
	w.dataset.lost = String(lostTotal);
	const m = $('live-more');
	m.hidden = cutWindows === 0;
	m.textContent = cutWindows ? t('live.more', { n: num(cutWindows), max: num(MAX) }) : '';
	live().dataset.more = String(cutWindows);
	const g = $('live-gap');
	g.textContent = windows ? t('live.gaps', { windows: num(windows), gap: num(gapTotal, 2),
		last: lastGap === null ? '–' : num(lastGap * 1000, 0) }) : '';
	g.dataset.gap = String(gapTotal);
}

function redraw() {
	const tb = $('live-rows');
	tb.textContent = '';
	for (const ev of feed) tb.append(eventRow(ev));
	drawCounts();
	drawRate();
	drawState();
}

const clockText = (unix) => {
	const d = new Date((Number(unix) || 0) * 1000);
	return d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
};

function eventRow(ev) {
	if (ev.type === 'gap') {
		const tr = el('tr', 'ev-gap');
		tr.dataset.type = 'gap';
		const td = el('td', '', t('live.notwatched', { from: clockText(ev.from), to: clockText(ev.to),
			s: num(ev.to - ev.from, 1) }));
		td.colSpan = 8;
		tr.append(td);
		return tr;
	}
	const tr = el('tr', 'ev-' + ev.type);
	tr.dataset.type = ev.type;
	tr.dataset.id = String(ev.id);
	const type = { new: t('live.new'), destroy: t('live.destroy'), update: t('live.update') }[ev.type] || ev.type;
	const cells = [clockText(ev.time), type, ev.id, protoName(ev.orig_l4proto),
	endpoint(ev, 'orig', 'src'), endpoint(ev, 'orig', 'dst'), ev.tcp_state || ev.sctp_state || ''];
	for (const c of cells) tr.append(el('td', '', String(c)));
	tr.children[1].className = 'ev-type';
	tr.children[4].dataset.col = 'src';
	tr.children[5].dataset.col = 'dst';
	const td = el('td', 'num');
	if (ev.type === 'destroy' && ev.orig_counter_bytes !== undefined) {
		const o = Number(ev.orig_counter_bytes) || 0, r = Number(ev.repl_counter_bytes) || 0;
		td.textContent = bytes(o + r);
		td.title = t('live.bytes', { orig: bytes(o), repl: bytes(r) });
		tr.dataset.bytes = String(o + r);
	} else if (ev.type === 'destroy') {
		td.textContent = '–';
		td.title = accounting ? '' : t('live.noacct');
	}
	tr.append(td);
	return labelCells(tr, $('live-table'));
}

function drawRate() {
	const now = Date.now() / 1000 + clockSkew;
	recent = recent.filter((x) => x > now - RATE_SPAN);
	const r = running ? recent.length / RATE_SPAN : 0;
	$('live-rate').textContent = t('live.rate', { n: num(r, 1) });
	$('live-rate').dataset.rate = String(r);
}

function drawState() {
	const s = $('live-state');
	s.textContent = paused ? t('live.paused') : running ? t('live.watching')
		: document.hidden ? t('live.hidden') : t('live.stopped');
	const b = $('live-pause');
	b.textContent = paused ? t('live.resume') : t('live.pause');
	b.setAttribute('aria-pressed', paused ? 'true' : 'false');
}

function note(text, err) {
	const n = $('live-note');
	n.textContent = text;
	n.className = 'panel-foot' + (err ? ' err' : '');
}

// Is net.netfilter.nf_conntrack_events 1?  An older server's stats()
// has no events_sysctl: nothing is said.
async function checkSysctl() {
	const w = $('live-sysctl');
	try {
		const s = await rpc('stats', [], true);
		const v = s.events_sysctl;
		w.hidden = typeof v !== 'number' || v === 1;
		w.textContent = w.hidden ? '' : t('live.sysctl', { v });
	} catch (e) {
		w.hidden = true;
	}
}

function show() {
	open = true;
	checkSysctl();
	if (!accounting) note(t('live.noacct'), false);
	update();
}

function hide() {
	open = false;
	update();
}

// Back on Connections after the feed showed changes: the table is stale.
async function backToTable() {
	if (!sawAnything) return;
	sawAnything = false;
	try { await rpc('refresh', [], true); } catch (e) { /* the view says it */ }
	resetPage();
	load({ quiet: true });
}

export function initLive() {
	live().dataset.running = '0';
	live().dataset.windows = '0';
	$('live-pause').addEventListener('click', () => { paused = !paused; update(); });
	$('live-clear').addEventListener('click', () => {
		feed = [];
		lostTotal = 0;
		cutWindows = 0;
		redraw();
	});
	document.addEventListener('visibilitychange', update);
	document.addEventListener('ctd-lang', redraw);
	onTab('live', show, hide);
	onTab('conns', backToTable);
	// a new filter applied from the form: a new window with it
	onView((res) => {
		accounting = res.accounting !== false;
		if (running && JSON.stringify(state.filters) !== filterKey) stop();
		update();
	});
	drawState();
	drawRate();
}
