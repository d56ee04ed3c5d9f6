// SPDX-License-Identifier: GPL-2.0-or-later
// What an operator does to rows: kill one or the selected ones (after a
// confirmation dialog), and edit a row's mark and timeout inline.  Each
// result is shown under its row.  Neither kill nor change is retried on a
// fresh session: their ids belong to the old session's snapshot.
import { $ } from './dom.js';
import { state } from './state.js';
import { rpc } from './session.js';
import { setStatus, faultText } from './status.js';
import { parseU32, toI4 } from './format.js';
import { rowActions, drawHead, drawBody, resultRow } from './table.js';
import { onView } from './view.js';
import { t } from './i18n.js';

// Selectors of a connection's row and of the result line under it.
const ROW = (id) => '#rows tr[data-id="' + id + '"]';
const RESULT = (id) => '#rows tr.result-row[data-for="' + id + '"]';
const plural = (n) => (n === 1 ? t('act.one') : t('act.many', { n }));

function focus(selector) {
	const e = document.querySelector(selector);
	if (e) e.focus();
	return e;
}

function drawBulk() {
	const n = [...state.selected].filter((id) => !state.killed.has(id)).length;
	const b = $('kill-selected');
	b.textContent = t('bar.killSelected', { n });
	b.disabled = n === 0;
}

// ---- kill --------------------------------------------------------------------

function confirmKill(ids) {
	ids = ids.filter((id) => !state.killed.has(id));
	if (ids.length === 0) return;
	const dlg = $('confirm');
	const n = ids.length;
	$('confirm-title').textContent = t('act.killQ', { what: plural(n) });
	$('confirm-text').textContent = n === 1 ? t('act.confirmOne', { id: ids[0] }) : t('act.confirmMany', { n });
	$('confirm-ok').textContent = t('act.killN', { what: plural(n) });
	const opener = document.activeElement;
	dlg.returnValue = '';
	dlg.onclose = () => {
		dlg.onclose = null;
		if (dlg.returnValue === 'ok') doKill(ids);
		else if (opener && opener.isConnected) opener.focus();
	};
	dlg.showModal();
	$('confirm-cancel').focus();
}

async function doKill(ids) {
	state.busy++;
	setStatus(() => t('act.killing', { what: plural(ids.length) }));
	try {
		const n = await rpc('kill', [ids], false);
		for (const id of ids) {
			state.killed.add(id);
			state.selected.delete(id);
			const key = ids.length === 1 && n !== 1 ? 'act.gone' : 'act.killed';
			state.results.set(id, { ok: true, text: () => t(key) });
		}
		setStatus(() => t('act.killedN', { n, what: plural(ids.length), others: n < ids.length ? t('act.others') : '' }), 'ok');
	} catch (e) {
		const err = () => faultText(e);
		for (const id of ids) state.results.set(id, { ok: false, text: err });
		setStatus(() => t('act.killFailed', { err: err() }), 'err');
	} finally {
		state.busy--;
	}
	drawBody();
	drawHead();
	drawBulk();
	const res = document.querySelector(RESULT(ids[0]) + ' .result');
	if (res) {
		res.setAttribute('tabindex', '-1');
		res.focus();
	}
}

// ---- inline edit -------------------------------------------------------------

function startEdit(id) {
	state.editing = id;
	state.results.delete(id);
	drawBody();
	const inp = focus(ROW(id) + ' input.edit[data-field="mark"]');
	if (inp) inp.select();
}

function cancelEdit(id) {
	state.editing = null;
	drawBody();
	focus(ROW(id) + ' button.editbtn');
}

function rowResult(id, ok, text) {
	state.results.set(id, { ok, text });
	const old = document.querySelector(RESULT(id));
	if (old) old.remove();
	const row = document.querySelector(ROW(id));
	if (row) row.after(resultRow(id));
}

// The edited fields that differ from the row: {changes: [{field, value}],
// errs: [sentence]}, each bad input marked aria-invalid.
function readEdits(inputs) {
	const changes = [], errs = [];
	for (const inp of inputs) {
		inp.removeAttribute('aria-invalid');
		if (inp.value.trim() === inp.dataset.orig) continue;
		const n = parseU32(inp.value);
		const field = inp.dataset.field;
		let err = null;
		if (n === null)
			err = field === 'mark' ? 'act.badMark' : 'act.badTimeout';
		else if (field === 'timeout' && n < 1)
			err = 'act.shortTimeout';
		if (err) {
			errs.push(err);
			inp.setAttribute('aria-invalid', 'true');
		} else changes.push({ field, value: n });
	}
	return { changes, errs };
}

async function saveEdit(r) {
	const tr = document.querySelector(ROW(r.id));
	const { changes, errs } = readEdits(tr ? [...tr.querySelectorAll('input.edit')] : []);
	if (errs.length) {
		rowResult(r.id, false, () => t('act.notSaved', { errs: errs.map((k) => t(k)).join('; ') }));
		const bad = tr.querySelector('input[aria-invalid="true"]');
		if (bad) bad.focus();
		return;
	}
	if (changes.length === 0) { cancelEdit(r.id); return; }
	const { done, failure } = await sendChanges(r, changes);
	const what = done.map((c) => c.field + ' = ' + (c.field === 'mark' ? c.value : c.value + ' s')).join(', ');
	state.editing = failure ? r.id : null;
	if (failure)
		state.results.set(r.id, { ok: false, text: () => (what ? t('act.setThen', { what, err: failure() }) : failure()) });
	else
		state.results.set(r.id, { ok: true, text: () => t('act.set', { what }) });
	drawBody();
	focus(ROW(r.id) + ' ' + (failure ? 'input.edit' : 'button.editbtn'));
}

// One change() per field, in order, stopping at the first fault; the row
// keeps what the server accepted.
async function sendChanges(r, changes) {
	state.busy++;
	const done = [];
	let failure = null;
	try {
		for (const c of changes) {
			await rpc('change', [c.field, r.id, toI4(c.value)], false);
			done.push(c);
			if (c.field === 'mark') r.mark = toI4(c.value);
			else r.timeout = c.value;
		}
	} catch (e) {
		failure = () => faultText(e);
	} finally {
		state.busy--;
	}
	return { done, failure };
}

export function initActions() {
	Object.assign(rowActions, {
		kill: confirmKill, edit: startEdit, save: saveEdit, cancel: cancelEdit, selected: drawBulk,
	});
	$('kill-selected').addEventListener('click', () => confirmKill([...state.selected]));
	onView(drawBulk);
	document.addEventListener('ctd-lang', drawBulk);
}
