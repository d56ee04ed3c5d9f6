// SPDX-License-Identifier: GPL-2.0-or-later
// Export CSV / Export JSON: every row of the current filter and order, all
// pages, as a file.  The rows are read with view() at the maximum page
// (length 0) from one snapshot: auto-refresh is off on the server for the
// export's duration (set_autorefresh 0, restored after) and every page
// must carry the first page's snapshot_time, so no row is missed or
// counted twice when the table moves.  A progress bar shows rows fetched
// of the total; Cancel stops after the call under way and saves nothing.
// Each row is the columns as the table shows them plus the raw fields of
// the API (mark as the unsigned u32).  #export-progress carries
// [data-rows] and [data-total]; #export-box [data-state] is running,
// done, cancelled or failed (tests read them).
import { $ } from './dom.js';
import { state } from './state.js';
import { session, rpc } from './session.js';
import { columns, label } from './columns.js';
import { u32, isoStamp } from './format.js';
import { t, num } from './i18n.js';
import { setStatus, faultText } from './status.js';

const CANCELLED = Symbol('cancelled');
let job = null;		// the export under way: {cancelled}

// A cell as the table shows it: its text, and its second line if any.
function shownText(c, r) {
	const v = String(c.get(r));
	const sub = c.sub ? c.sub(r) : '';
	return sub ? v + ' · ' + sub : v;
}

// The raw fields of the rows, in the order first met ('id' first).
function rawKeys(rows) {
	const keys = new Set(['id']);
	for (const r of rows) for (const k of Object.keys(r)) keys.add(k);
	return [...keys];
}
const raw = (r, k) => (k === 'mark' && r.mark !== undefined ? u32(r.mark) : r[k]);

// RFC 4180 quoting; a text cell a spreadsheet would run as a formula
// (=, +, -, @ first: a username or label from the server) gets a quote.
function csvCell(v) {
	if (v === undefined || v === null) return '';
	let s = String(v);
	if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
	return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function toCsv(rows) {
	const cols = columns(), keys = rawKeys(rows);
	const lines = [cols.map((c) => csvCell(label(c))).concat(keys.map(csvCell)).join(',')];
	for (const r of rows)
		lines.push(cols.map((c) => csvCell(shownText(c, r))).concat(keys.map((k) => csvCell(raw(r, k)))).join(','));
	// a BOM so that spreadsheets read the accents of the headings as UTF-8
	return '\ufeff' + lines.join('\r\n') + '\r\n';
}

function toJson(rows) {
	const cols = columns(), keys = rawKeys(rows);
	return JSON.stringify(rows.map((r) => {
		const o = {};
		for (const k of keys) if (r[k] !== undefined) o[k] = raw(r, k);
		o.shown = Object.fromEntries(cols.map((c) => [c.key, shownText(c, r)]));
		return o;
	}), null, 1) + '\n';
}

function save(text, type, name) {
	const url = URL.createObjectURL(new Blob([text], { type }));
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	a.hidden = true;
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function drawProgress(n, total) {
	const p = $('export-progress');
	p.max = Math.max(1, total || 0);
	if (total === null) p.removeAttribute('value');	// indeterminate until the first page
	else p.value = n;
	p.dataset.rows = String(n);
	p.dataset.total = total === null ? '' : String(total);
	$('export-text').textContent = total === null ? t('export.starting') : t('export.progress', { n: num(n), total: num(total) });
}

function setBusy(on, kind) {
	$('export-box').hidden = !on;
	$('export-csv').disabled = $('export-json').disabled = on;
	if (on) $('export-box').dataset.state = 'running';
	else $('export-box').dataset.state = kind;
}

// All pages of the current view from one snapshot: {rows, snap}.
async function readAll(me) {
	const rows = [];
	let total = null, snap = null;
	for (let start = 0; ;) {
		const res = await rpc('view', [state.filters, state.orderBy, state.orderDir, start, 0], true);
		if (me.cancelled) throw CANCELLED;
		if (snap === null) { snap = res.snapshot_time; total = res.total; }
		else if (res.snapshot_time !== snap || res.total !== total)
			throw new Error(t('export.moved'));
		rows.push(...res.table);
		drawProgress(rows.length, total);
		if (res.table.length === 0 || rows.length >= total) break;
		start += res.table.length;
	}
	return { rows, snap };
}

async function exportAs(kind) {
	if (job) return;
	const me = job = { cancelled: false };
	const auto = session.autorefresh;
	state.busy++;	// refresh.js's auto-refresh timer waits meanwhile
	setBusy(true);
	drawProgress(0, null);
	let outcome = 'failed';
	try {
		if (auto) await rpc('set_autorefresh', [0], true);
		if (me.cancelled) throw CANCELLED;
		const { rows, snap } = await readAll(me);
		const name = 'ctd-' + isoStamp(snap).replace(/[-:]/g, '').replace(' ', '-') + '.' + kind;
		if (kind === 'csv') save(toCsv(rows), 'text/csv;charset=utf-8', name);
		else save(toJson(rows), 'application/json', name);
		outcome = 'done';
		setStatus(() => t('export.done', { n: num(rows.length), file: name }), 'ok');
	} catch (e) {
		if (e === CANCELLED) {
			outcome = 'cancelled';
			setStatus(() => t('export.cancelled'));
		} else setStatus(() => t('export.failed', { err: faultText(e) }), 'err');
	} finally {
		if (auto) {
			try { await rpc('set_autorefresh', [auto], true); } catch (e) {
				setStatus(() => t('refresh.autoFailed', { err: faultText(e) }), 'err');
			}
		}
		state.busy--;
		job = null;
		setBusy(false, outcome);
	}
}

export function initExport() {
	$('export-csv').addEventListener('click', () => exportAs('csv'));
	$('export-json').addEventListener('click', () => exportAs('json'));
	$('export-cancel').addEventListener('click', () => {
		if (!job) return;
		job.cancelled = true;
		$('export-text').textContent = t('export.cancelling');
	});
	document.addEventListener('ctd-lang', () => {
		const p = $('export-progress');
		if (job && p.dataset.total) drawProgress(Number(p.dataset.rows), Number(p.dataset.total));
	});
}
