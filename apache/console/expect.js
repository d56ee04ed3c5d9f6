// SPDX-License-Identifier: GPL-2.0-or-later
// The Expectations tab (conntrack -L expect): the connections a helper
// (FTP, SIP, H.323...) announced, read with expectations() each time the
// tab opens or Refresh is pressed.  The master connection's id is a
// button: it shows exactly that connection in the Connections table (the
// filter form's ID field).  Operators get a Kill button per expectation
// (kill_expectation, after the confirmation dialog).  #expect carries
// [data-loads] (finished calls) for tests.
import { $, el, button } from './dom.js';
import { session, rpc } from './session.js';
import { faultText } from './status.js';
import { panelCall } from './panel.js';
import { t, num } from './i18n.js';
import { duration } from './format.js';
import { onTab, selectTab } from './tabs.js';
import { filterOnly } from './filters.js';
import { protoName, tuple, expected, labelCells } from './rowtext.js';


function note(text, err) {
	const n = $('expect-note');
	n.textContent = text;
	n.className = 'panel-foot' + (err ? ' err' : '');
}

// Read the list: the newest answer is drawn, again in a new language (panel.js).
const readList = panelCall('expect', 'expectations', draw, (sentence, miss, e) => {
	$('expect-rows').textContent = '';
	$('expect-info').textContent = '';
	note(miss ? t('expect.missing') : t('expect.failed', { fault: faultText(e) }), !miss);
}, draw, true);
const loadExpect = () => readList({});

function draw(res) {
	const rows = res.table || [];
	const tb = $('expect-rows');
	tb.textContent = '';
	for (const x of rows) tb.append(row(x));
	if (rows.length === 0) {
		const td = el('td', 'empty', t('expect.none'));
		td.colSpan = session.operator ? 8 : 7;
		const tr = el('tr');
		tr.append(td);
		tb.append(tr);
	}
	$('expect-info').textContent = t('expect.count', { n: num(res.total ?? rows.length) });
	note('', false);
}

function row(x) {
	const tr = el('tr');
	tr.dataset.id = String(x.id);
	tr.dataset.master = String(x.master);
	const proto = protoName(x.orig_l4proto) + (x.orig_l3proto === 10 ? '6' : '');
	tr.append(el('td', 'num', String(x.id)), el('td', '', String(x.helper || '')), el('td', '', proto));
	const exp = el('td', 'addr', expected(x, 'src') + ' → ' + expected(x, 'dst'));
	exp.dataset.col = 'expected';
	tr.append(exp);
	const m = el('td', 'addr');
	m.dataset.col = 'master';
	const b = button(String(x.master), 'link master', () => showMaster(x.master),
		t('expect.showmaster', { id: x.master }));
	b.title = t('expect.showmaster', { id: x.master });
	m.append(b);
	const mt = tuple(x, 'master');
	if (mt.trim() !== '→') m.append(el('span', 'subline', mt));
	tr.append(m, el('td', 'num', duration(x.timeout)), el('td', 'num', String(x.zone ?? 0)));
	if (session.operator) {
		const td = el('td', 'actions');
		td.append(button(t('expect.kill'), 'danger kill', () => confirmKill(x),
			t('expect.killlabel', { id: x.id })));
		tr.append(td);
	}
	return labelCells(tr, $('expect-table'));
}

// The list is the kernel's now; the table's snapshot may predate the
// master, so the table reads a fresh dump first.
async function showMaster(id) {
	selectTab('conns');
	try { await rpc('refresh', [], true); } catch (e) { /* the view says what is wrong */ }
	filterOnly({ 'f-id': String(id) });
}

// The page's one confirmation dialog (#confirm), as actions.js uses it.
function confirmKill(x) {
	const dlg = $('confirm');
	$('confirm-title').textContent = t('expect.confirmtitle', { id: x.id });
	$('confirm-text').textContent = t('expect.confirmtext', { helper: x.helper || '?', tuple: expected(x, 'src') + ' → ' + expected(x, 'dst') });
	$('confirm-ok').textContent = t('expect.kill');
	const opener = document.activeElement;
	dlg.returnValue = '';
	dlg.onclose = () => {
		dlg.onclose = null;
		if (dlg.returnValue === 'ok') doKill(x);
		else if (opener && opener.isConnected) opener.focus();
	};
	dlg.showModal();
	$('confirm-cancel').focus();
}

async function doKill(x) {
	try {
		const n = await rpc('kill_expectation', [[String(x.id)]], false);
		note(Number(n) === 1 ? t('expect.killed', { id: x.id }) : t('expect.gone', { id: x.id }), false);
		$('expect-note').classList.add('ok');
	} catch (e) {
		note(t('expect.killfailed', { fault: faultText(e) }), true);
		return;
	}
	await loadExpect();
	$('expect-note').classList.add('ok');
}

export function initExpect() {
	$('expect').dataset.loads = '0';
	$('expect-refresh').addEventListener('click', loadExpect);
	onTab('expect', loadExpect);
}
