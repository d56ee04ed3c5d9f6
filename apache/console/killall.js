// SPDX-License-Identifier: GPL-2.0-or-later
// "Kill all matching" (operators): kills every connection the current
// filter matches, after one look at what would die.  The button opens a
// dialog that asks kill_preview() for the filter the table shows
// (state.filters): the count, up to 20 sample rows, the top sources and
// destinations, and how long the preview stands.  One confirm sends
// kill_matching(token): the server kills exactly the previewed entries
// (never one that appeared later) and answers destroyed / gone /
// ambiguous, shown in the dialog; the table is then read afresh.  Faults
// (no filter, more than max_kill, a spent or expired token) are said in
// the dialog in the server's words.  #killall carries [data-step]
// (preview, ready, killing, done, failed) for tests.
import { $, el } from './dom.js';
import { state, resetPage } from './state.js';
import { rpc } from './session.js';
import { faultText, setStatus, missing } from './status.js';
import { t, num } from './i18n.js';
import { load } from './view.js';
import { protoName, endpoint, filterText } from './rowtext.js';

let preview = null;	// the newest kill_preview() answer
let filters = null;	// the filters it was asked for
let expiresAt = 0;	// Date.now() when its token expires
let ticker = null;
let seq = 0;

const dlg = () => $('killall');

function step(name) { dlg().dataset.step = name; }

// text: a string or a function giving it (said again in a new language).
let said = null, saidErr = false;
function say(text, err) {
	said = text;
	saidErr = err;
	const r = $('killall-result');
	r.textContent = typeof text === 'function' ? text() : text;
	r.className = 'result-box ' + (err ? 'err' : 'ok');
	r.hidden = !r.textContent;
}

function open() {
	const d = dlg();
	filters = { ...state.filters };
	preview = null;
	$('killall-filter').textContent = Object.keys(filters).length
		? t('killall.filter', { filter: filterText(filters) }) : '';
	$('killall-title').textContent = t('killall.title');
	$('killall-preview').hidden = true;
	$('killall-again').hidden = true;
	$('killall-cancel').textContent = t('killall.cancel');
	say('');
	okButton(0, true);
	d.returnValue = '';
	if (!d.open) d.showModal();
	$('killall-cancel').focus();
	if (Object.keys(filters).length === 0) {
		step('failed');
		$('killall-text').textContent = t('killall.nofilter');
		return;
	}
	ask();
}

function okButton(n, disabled) {
	const b = $('killall-ok');
	b.textContent = t('killall.ok', { n: num(n) });
	b.disabled = disabled;
	b.hidden = false;
}

async function ask() {
	const mine = ++seq;
	step('preview');
	$('killall-text').textContent = t('killall.asking');
	try {
		const res = await rpc('kill_preview', [filters], true);
		if (mine !== seq || !dlg().open) return;
		preview = res;
		expiresAt = Date.now() + (Number(res.expires) || 60) * 1000;
		draw(res);
	} catch (e) {
		if (mine !== seq) return;
		step('failed');
		$('killall-text').textContent = missing(e) ? t('killall.missing')
			: t('killall.previewfailed', { fault: faultText(e) });
		$('killall-again').hidden = missing(e);
	}
}

function draw(res) {
	const n = Number(res.matched) || 0;
	$('killall-title').textContent = t('killall.titlen', { n: num(n) });
	dlg().dataset.matched = String(n);
	let text = n === 0 ? t('killall.none') : t('killall.matched', { n: num(n) });
	if (Number(res.ambiguous) > 0) text += ' ' + t('killall.ambiguous', { n: num(res.ambiguous) });
	$('killall-text').textContent = text;
	drawTops($('killall-src'), res.top_sources || []);
	drawTops($('killall-dst'), res.top_destinations || []);
	const tb = $('killall-rows');
	tb.textContent = '';
	for (const r of res.sample || []) {
		const tr = el('tr');
		tr.dataset.id = String(r.id);
		for (const v of [r.id, protoName(r.orig_l4proto), endpoint(r, 'orig', 'src'),
			endpoint(r, 'orig', 'dst'), r.tcp_state || r.sctp_state || ''])
			tr.append(el('td', '', String(v)));
		tb.append(tr);
	}
	$('killall-sample-title').textContent = t('killall.samplen', {
		shown: num((res.sample || []).length), n: num(n) });
	$('killall-preview').hidden = n === 0;
	okButton(n, n === 0);
	step(n === 0 ? 'failed' : 'ready');
	tick();
	if (!ticker) ticker = setInterval(tick, 1000);
}

function drawTops(ol, tops) {
	ol.textContent = '';
	for (const g of tops) {
		const li = el('li');
		li.append(el('span', 'tops-key', String(g.key)), el('span', 'tops-n', num(g.connections)));
		ol.append(li);
	}
	if (tops.length === 0) ol.append(el('li', 'muted', '–'));
}

// The preview's remaining life; once spent, the kill is offered again only
// through a new preview.
function tick() {
	if (!preview || dlg().dataset.step !== 'ready') { stopTicker(); return; }
	const left = Math.ceil((expiresAt - Date.now()) / 1000);
	if (left <= 0) {
		stopTicker();
		step('failed');
		okButton(Number(preview.matched) || 0, true);
		say(() => t('killall.expired'), true);
		$('killall-again').hidden = false;
		return;
	}
	$('killall-filter').dataset.left = String(left);
	$('killall-filter').textContent = t('killall.filter', { filter: filterText(filters) }) + ' · ' +
		t('killall.left', { s: left });
}

function stopTicker() { if (ticker) { clearInterval(ticker); ticker = null; } }

async function confirm() {
	if (!preview) return;
	const token = preview.token;
	step('killing');
	stopTicker();
	$('killall-filter').textContent = t('killall.filter', { filter: filterText(filters) });
	okButton(Number(preview.matched) || 0, true);
	say(() => t('killall.killing'));
	state.busy++;
	let refreshTable = false;
	try {
		// a kill is never retried on a fresh session: the token is the old one's
		const res = await rpc('kill_matching', [token], false);
		const text = () => t('killall.result', { destroyed: num(res.destroyed), gone: num(res.gone),
			ambiguous: num(res.ambiguous) });
		say(text, false);
		dlg().dataset.destroyed = String(res.destroyed);
		step('done');
		$('killall-title').textContent = t('killall.titledone');
		$('killall-filter').textContent = t('killall.filter', { filter: filterText(filters) });
		setStatus(text(), 'ok');
		refreshTable = true;
	} catch (e) {
		step('failed');
		say(() => t('killall.failed', { fault: faultText(e) }), true);
		$('killall-again').hidden = false;
	} finally {
		state.busy--;
		preview = null;
	}
	$('killall-ok').hidden = true;
	$('killall-cancel').textContent = t('killall.close');
	$('killall-cancel').focus();
	if (refreshTable) {
		try { await rpc('refresh', [], true); } catch (e) { /* the view says it */ }
		resetPage();
		load({ quiet: true });
	}
}

function close() {
	++seq;
	stopTicker();
	preview = null;
	dlg().close();
	$('kill-matching').focus();
}

export function initKillAll() {
	$('kill-matching').addEventListener('click', open);
	$('killall-ok').addEventListener('click', confirm);
	$('killall-cancel').addEventListener('click', close);
	$('killall-again').addEventListener('click', () => {
		$('killall-again').hidden = true;
		say('');
		ask();
	});
	dlg().addEventListener('close', () => { ++seq; stopTicker(); preview = null; });
	document.addEventListener('ctd-lang', () => {
		if (!dlg().open) return;
		if (preview && dlg().dataset.step === 'ready') draw(preview);
		if (said) say(said, saidErr);
		$('killall-cancel').textContent = t(dlg().dataset.step === 'done' ? 'killall.close' : 'killall.cancel');
	});
}
