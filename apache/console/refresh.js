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
import { load, onView } from './view.js';

const INTERVAL_MIN = 2, INTERVAL_MAX = 3600;
let timer = null;

function drawSnapshot(res) {
	const t = $('snapshot');
	t.textContent = 'Snapshot ' + isoTime(res.snapshot_time) +
		(res.interval > 0 ? ' · rates over ' + res.interval.toFixed(1) + ' s' : ' · no rate interval yet') +
		(session.autorefresh ? ' · auto-refresh every ' + session.autorefresh + ' s' : ' · stable (auto-refresh off)');
	t.dataset.time = String(res.snapshot_time);
	const a = $('accounting');
	a.textContent = res.accounting ? 'Byte accounting: on'
		: 'Byte accounting: off — counters and rates read 0 (sysctl net.netfilter.nf_conntrack_acct=1)';
	a.className = 'acct ' + (res.accounting ? 'on' : 'off');
	a.dataset.on = res.accounting ? '1' : '0';
}

async function refresh() {
	try {
		await rpc('refresh', [], true);
	} catch (e) {
		setStatus('Could not refresh: ' + faultText(e), 'err');
		return;
	}
	resetPage();
	load();
}

function readInterval() {
	const n = Number($('interval').value);
	if (!Number.isInteger(n) || n < INTERVAL_MIN || n > INTERVAL_MAX) {
		$('interval').setAttribute('aria-invalid', 'true');
		setStatus('Interval: a whole number of seconds from ' + INTERVAL_MIN + ' to ' + INTERVAL_MAX + '.', 'err');
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
		setStatus('Could not change auto-refresh: ' + faultText(e), 'err');
		return;
	}
	stopAuto();
	session.autorefresh = secs;
	if (on) timer = setInterval(tick, secs * 1000);
	setStatus(on ? 'Auto-refresh on: the table re-reads the kernel every ' + secs + ' s.'
		: 'Auto-refresh off: pages come from one stable snapshot.', 'ok');
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
}
