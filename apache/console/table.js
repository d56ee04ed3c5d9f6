// SPDX-License-Identifier: GPL-2.0-or-later
// The connections table: the header (sort buttons, select-all), one row per
// connection (selection, cells, inline editors, Kill and Edit buttons) and
// the result line under a row an action touched.  This file only draws;
// what the row controls do is actions.js's, which fills rowActions.
import { $, el, button, checkbox } from './dom.js';
import { state, resetPage, liveRows } from './state.js';
import { session } from './session.js';
import { columns, span, label } from './columns.js';
import { u32 } from './format.js';
import { load, onView } from './view.js';
import { t } from './i18n.js';

export const rowActions = {
	kill: null,	// (ids): ask, then kill
	edit: null,	// (id): open the row's editors
	save: null,	// (row): send the edited fields
	cancel: null,	// (id): close the editors
	selected: null,	// (): the selection changed
};

export function initTable() {
	onView(drawTable);
	// a new language: the same rows drawn again, no server call
	document.addEventListener('ctd-lang', () => {
		drawHead();
		if (state.editing === null) drawBody();	// never under someone typing
	});
}

function drawTable() {
	state.hasUser = state.rows.some((r) => r.username !== undefined);
	state.showUser = state.hasUser || state.rows.some((r) => r.user_id !== undefined);
	drawHead();
	drawBody();
}

// ---- header ------------------------------------------------------------------

export function drawHead() {
	const tr = $('head');
	tr.textContent = '';
	if (session.operator)
		tr.append(selectAllHeader());
	for (const c of columns())
		tr.append(columnHeader(c));
	if (session.operator)
		tr.append(el('th', 'actions', t('col.actions')));
}

function selectAllHeader() {
	const live = liveRows();
	const all = live.length > 0 && live.every((r) => state.selected.has(r.id));
	const cb = checkbox('', t('table.selectAll'), all, () => {
		for (const r of live) {
			if (cb.checked) state.selected.add(r.id);
			else state.selected.delete(r.id);
		}
		drawBody();
		drawHead();
	});
	cb.id = 'select-all';
	cb.indeterminate = !all && live.some((r) => state.selected.has(r.id));
	cb.disabled = live.length === 0;
	const th = el('th', 'sel');
	th.append(cb);
	return th;
}

function columnHeader(c) {
	const th = el('th', c.num ? 'num' : '');
	th.scope = 'col';
	th.dataset.col = c.key;
	// Sorting by username is only offered when the server sends it
	// (a uid_mask is configured); otherwise the field does not exist.
	if (c.userCol && !state.hasUser) {
		th.textContent = label(c);
		return th;
	}
	const active = state.orderBy === c.sort;
	const asc = state.orderDir === 'asc';
	th.setAttribute('aria-sort', active ? (asc ? 'ascending' : 'descending') : 'none');
	const b = button(label(c), 'sort', () => sortOn(c));
	b.dataset.sort = c.sort;
	const arrow = el('span', 'arrow', active ? (asc ? ' ▲' : ' ▼') : '');
	arrow.setAttribute('aria-hidden', 'true');
	b.append(arrow);
	b.title = t('table.sortBy', { key: c.sort });
	th.append(b);
	return th;
}

function sortOn(c) {
	if (state.orderBy === c.sort)
		state.orderDir = state.orderDir === 'asc' ? 'desc' : 'asc';
	else { state.orderBy = c.sort; state.orderDir = c.firstDir || 'asc'; }
	state.start = 0;
	resetPage();
	load({ focusSort: c.sort });
}

// ---- rows --------------------------------------------------------------------

export function drawBody() {
	const tbody = $('rows');
	tbody.textContent = '';
	if (state.rows.length === 0) {
		const td = el('td', 'empty', t(state.total > 0 ? 'table.noRowsHere' : 'table.noMatch'));
		td.colSpan = span(session.operator);
		const tr = el('tr');
		tr.append(td);
		tbody.append(tr);
		return;
	}
	for (const r of state.rows) {
		tbody.append(row(r));
		if (state.results.has(r.id))
			tbody.append(resultRow(r.id));
	}
}

function row(r) {
	const tr = el('tr');
	tr.dataset.id = r.id;
	const killed = state.killed.has(r.id);
	if (killed) tr.classList.add('killed');
	if (state.selected.has(r.id)) tr.classList.add('selected');
	if (session.operator)
		tr.append(selectCell(r, tr, killed));
	for (const c of columns())
		tr.append(cell(c, r));
	if (session.operator)
		tr.append(actionsCell(r, killed));
	return tr;
}

function selectCell(r, tr, killed) {
	const cb = checkbox('select', t('table.select', { id: r.id }), state.selected.has(r.id), () => {
		if (cb.checked) state.selected.add(r.id);
		else state.selected.delete(r.id);
		tr.classList.toggle('selected', cb.checked);
		rowActions.selected();
		drawHead();
	});
	cb.disabled = killed;
	const td = el('td', 'sel');
	td.append(cb);
	return td;
}

function actionsCell(r, killed) {
	const td = el('td', 'actions');
	td.dataset.label = t('col.actions');
	const v = { id: r.id };
	if (state.editing === r.id) {
		td.append(button(t('table.save'), 'save', () => rowActions.save(r), t('table.saveLabel', v)),
			button(t('table.cancel'), 'secondary cancel', () => rowActions.cancel(r.id), t('table.cancelLabel', v)));
	} else if (!killed) {
		td.append(button(t('table.kill'), 'danger kill', () => rowActions.kill([r.id]), t('table.killLabel', v)),
			button(t('table.edit'), 'secondary editbtn', () => rowActions.edit(r.id), t('table.editLabel', v)));
	}
	return td;
}

function cell(c, r) {
	const td = el('td');
	td.dataset.col = c.key;
	td.dataset.label = label(c);
	if (c.num) td.classList.add('num');
	if (c.cls) td.classList.add(c.cls);
	if (c.edit && state.editing === r.id) {
		td.append(editor(c.edit, r));
		return td;
	}
	td.append(el('span', 'v', String(c.get(r))));
	if (c.title) td.title = c.title(r);
	const sub = c.sub ? c.sub(r) : '';
	if (sub) td.append(el('span', 'subline', sub));
	return td;
}

// field: 'mark' or 'timeout'; Enter saves the row, Escape cancels.
function editor(field, r) {
	const inp = el('input', 'edit');
	inp.type = 'text';
	inp.dataset.field = field;
	inp.inputMode = 'numeric';
	inp.size = 10;
	inp.value = field === 'mark' ? String(u32(r.mark)) : String(r.timeout);
	inp.dataset.orig = inp.value;
	inp.setAttribute('aria-label', t(field === 'mark' ? 'table.markOf' : 'table.timeoutOf', { id: r.id }));
	inp.addEventListener('keydown', (ev) => {
		if (ev.key === 'Enter') { ev.preventDefault(); rowActions.save(r); }
		else if (ev.key === 'Escape') { ev.preventDefault(); rowActions.cancel(r.id); }
	});
	return inp;
}

// The result of an action sits in a line of its own right under its row,
// so a long fault string never squeezes the table's columns.
export function resultRow(id) {
	const res = state.results.get(id);
	const tr = el('tr', 'result-row');
	tr.dataset.for = id;
	const td = el('td');
	td.colSpan = span(session.operator);
	const text = typeof res.text === 'function' ? res.text() : res.text;
	const s = el('span', 'result ' + (res.ok ? 'ok' : 'err'), t('table.result', { id, text }));
	s.setAttribute('role', 'status');
	td.append(s);
	tr.append(td);
	return tr;
}
