// SPDX-License-Identifier: GPL-2.0-or-later
// What the table shows: the view parameters (filters, order, page), the
// rows of the current page, and the operator's marks on those rows
// (selection, per-row results, killed rows, the row being edited).  The
// panels share this one object; view.js fills it from the server.
export const state = {
	filters: {},
	orderBy: 'id',
	orderDir: 'asc',
	start: 0,
	length: 100,
	total: 0,
	rows: [],
	hasUser: false,		// rows carry username: the user column sorts
	showUser: false,	// rows carry username or user_id: the column shows
	selected: new Set(),	// ids selected on the current snapshot
	results: new Map(),	// id -> {ok, text}: shown next to the row (text: a
				// string or a function giving it in the chosen language)
	killed: new Set(),
	editing: null,		// id whose row is in edit mode
	busy: 0,		// kill/change calls under way
};

// A new page, order or filter: marks on the old rows no longer apply.
export function resetPage() {
	state.selected.clear();
	state.results.clear();
	state.killed.clear();
	state.editing = null;
}

// Rows of the current page not killed since it was drawn.
export const liveRows = () => state.rows.filter((r) => !state.killed.has(r.id));
