// SPDX-License-Identifier: GPL-2.0-or-later
// The Audit tab (operators; the server refuses viewers): who did what,
// newest first, from audit(): every kill, change, kill_matching and
// kill_expectation with its user, address, connection, result and the
// server's message.  Filterable by user, action and result; PAGE rows a
// page.  Read each time the tab opens.  #audit carries [data-loads] and
// [data-total] for tests.
import { $, el } from './dom.js';
import { faultText } from './status.js';
import { panelCall } from './panel.js';
import { t, num, dateTime } from './i18n.js';
import { onTab } from './tabs.js';
import { labelCells } from './rowtext.js';

const PAGE = 50;
let start = 0;
let total = 0;

function filters() {
	const f = {};
	const u = $('a-user').value.trim();
	if (u) f.user = u;
	if ($('a-action').value) f.action = $('a-action').value;
	if ($('a-result').value) f.result = $('a-result').value;
	return f;
}

function note(text, err) {
	const n = $('audit-note');
	n.textContent = text;
	n.className = 'panel-foot' + (err ? ' err' : '');
}

// Read a page: the newest answer is drawn, again in a new language (panel.js).
const readPage = panelCall('audit', 'audit', (res) => { draw(res); note('', false); }, (sentence, miss, e) => {
	$('audit-rows').textContent = '';
	$('audit-info').textContent = '–';
	note(miss ? t('audit.missing') : t('audit.failed', { fault: faultText(e) }), !miss);
}, draw, true);
const loadAudit = () => readPage(filters(), start, PAGE);

function draw(res) {
	total = Number(res.total) || 0;
	start = Number(res.start) || 0;
	$('audit').dataset.total = String(total);
	const tb = $('audit-rows');
	tb.textContent = '';
	for (const a of res.entries || []) {
		const tr = el('tr', 'result-' + a.result);
		tr.dataset.action = String(a.action);
		tr.dataset.user = String(a.user);
		const change = a.field ? a.field + (a.value !== undefined && a.value !== '' ? ' = ' + a.value : '') : '';
		const cells = [
			['time', dateTime(Number(a.time) || 0)],
			['user', String(a.user ?? '') + (a.role ? ' (' + a.role + ')' : '')],
			['from', String(a.remote_addr ?? '')],
			['action', String(a.action ?? '')],
			['id', String(a.id ?? '')],
			['tuple', String(a.tuple ?? '')],
			['change', change],
			['result', String(a.result ?? '')],
			['message', String(a.message ?? '')],
		];
		for (const [k, v] of cells) {
			const td = el('td', k === 'tuple' ? 'addr' : '', v);
			td.dataset.col = k;
			tr.append(td);
		}
		tb.append(labelCells(tr, $('audit-table')));
	}
	if (!res.entries || res.entries.length === 0) {
		const td = el('td', 'empty', t('audit.none'));
		td.colSpan = 9;
		const tr = el('tr');
		tr.append(td);
		tb.append(tr);
	}
	const n = (res.entries || []).length;
	$('audit-info').textContent = n ? t('audit.page', { first: num(start + 1), last: num(start + n), total: num(total) })
		: t('audit.empty', { total: num(total) });
	$('audit-prev').disabled = start === 0;
	$('audit-next').disabled = start + n >= total;
}

export function initAudit() {
	$('audit').dataset.loads = '0';
	$('audit-filters').addEventListener('submit', (ev) => { ev.preventDefault(); start = 0; loadAudit(); });
	$('audit-reload').addEventListener('click', loadAudit);
	$('audit-prev').addEventListener('click', () => { start = Math.max(0, start - PAGE); loadAudit(); });
	$('audit-next').addEventListener('click', () => { if (start + PAGE < total) { start += PAGE; loadAudit(); } });
	onTab('audit', loadAudit);
}
