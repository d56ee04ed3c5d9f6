// SPDX-License-Identifier: GPL-2.0-or-later
// The snapshot bar: which snapshot the table shows (its time, the rate
// interval, whether the kernel counts bytes), the Refresh button and
// auto-refresh.  A new session starts with auto-refresh off: every page
// then comes from one stable snapshot.
import { $ } from './dom.js';
import { state, resetPage } from './state.js';
import { session, rpc } from './session.js';
import { setStatus, faultText } from './status.js';
import { isoTime } from './format.js';
import { t, num } from './i18n.js';
import { load, onView } from './view.js';

const INTERVAL_MIN = 2, INTERVAL_MAX = 3600;
let timer = null;
let last = null;	// the view() answer drawn, drawn again in a new language

function drawSnapshot(res) {
	last = res;
	const s = $('snapshot');
	delete s.dataset.i18n;
	s.textContent = t('refresh.snapshot', { time: isoTime(res.snapshot_time) }) +
		(res.interval > 0 ? t('refresh.ratesOver', { secs: num(res.interval, 1) }) : t('refresh.noInterval')) +
		(session.autorefresh ? t('refresh.autoEvery', { secs: session.autorefresh }) : t('refresh.stable'));
	s.dataset.time = String(res.snapshot_time);
	const a = $('accounting');
	a.textContent = res.accounting ? t('refresh.acctOn') : t('refresh.acctOff');
	a.className = 'acct ' + (res.accounting ? 'on' : 'off');
	a.dataset.on = res.accounting ? '1' : '0';
}

async function refresh() {
	try {
		await rpc('refresh', [], true);
	} catch (e) {
		setStatus(() => t('refresh.failed', { err: faultText(e) }), 'err');
		return;
	}
	resetPage();
	load();
}

function readInterval() {
	const n = Number($('interval').value);
	if (!Number.isInteger(n) || n < INTERVAL_MIN || n > INTERVAL_MAX) {
		$('interval').setAttribute('aria-invalid', 'true');
		setStatus(() => t('refresh.badInterval', { min: INTERVAL_MIN, max: INTERVAL_MAX }), 'err');
		return null;
	}
	$('interval').removeAttribute('aria-invalid');
	return n;
}

async function setAuto() {
	const on = $('auto').checked;
	const secs = on ? readInterval() : 0;
	if (secs === null) { $('auto').checked = false; return; }
	try {
		await rpc('set_autorefresh', [secs], true);
	} catch (e) {
		$('auto').checked = session.autorefresh > 0;
		setStatus(() => t('refresh.autoFailed', { err: faultText(e) }), 'err');
		return;
	}
	stopAuto();
	session.autorefresh = secs;
	if (on) timer = setInterval(tick, secs * 1000);
	setStatus(() => (on ? t('refresh.autoOn', { secs }) : t('refresh.autoOff')), 'ok');
	load({ quiet: true });
}

function tick() {
	// Never redraw under an administrator who is typing a new value, nor
	// while a confirmation is open for rows that would shift under it.
	if (state.editing !== null || $('confirm').open || state.busy) return;
	load({ quiet: true });
}

export function stopAuto() {
	if (timer) { clearInterval(timer); timer = null; }
}

export function initRefresh() {
	$('refresh').addEventListener('click', refresh);
	$('auto').addEventListener('change', setAuto);
	$('interval').addEventListener('change', () => { if (session.autorefresh) setAuto(); });
	onView(drawSnapshot);
	document.addEventListener('ctd-lang', () => { if (last) drawSnapshot(last); });
}
