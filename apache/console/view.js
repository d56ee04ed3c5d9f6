// SPDX-License-Identifier: GPL-2.0-or-later
// The view() call: fetches the current page only (start/length), so the
// console costs the same on a 100k-entry table as on a 10-entry one, and
// hands the answer to the panels that draw from it (onView).  Only the
// newest answer is drawn; body[data-loads] counts finished calls (tests
// wait on it).
import { rpc } from './session.js';
import { state } from './state.js';
import { setStatus, faultText } from './status.js';
import { t } from './i18n.js';

const drawers = [];
let seq = 0;
let loads = 0;

// fn(res) runs after each view() answer is in state, in the order added.
export function onView(fn) { drawers.push(fn); }

// opts: quiet (keep the status line), focusSort (a sort key whose button
// gets the focus), noStepBack (internal).
export async function load(opts) {
	opts = opts || {};
	const mine = ++seq;
	document.body.classList.add('loading');
	try {
		const res = await rpc('view', [state.filters, state.orderBy, state.orderDir,
			state.start, state.length], true);
		if (mine !== seq) return;	// a newer request went out meanwhile
		// Paged past the end (entries left since): step back to the last page.
		if (res.table.length === 0 && res.total > 0 && state.start > 0 && !opts.noStepBack) {
			state.start = Math.floor((res.total - 1) / state.length) * state.length;
			return load({ noStepBack: true });
		}
		draw(res, opts);
	} catch (e) {
		if (mine !== seq) return;
		setStatus(() => t('view.failed', { err: faultText(e) }), 'err');
	} finally {
		if (mine === seq) {
			document.body.classList.remove('loading');
			document.body.dataset.loads = String(++loads);
		}
	}
}

function draw(res, opts) {
	state.total = res.total;
	state.start = res.start;
	state.rows = res.table;
	for (const fn of drawers)
		fn(res);
	if (!opts.quiet) setStatus('');
	if (opts.focusSort) {
		const b = document.querySelector('button.sort[data-sort="' + opts.focusSort + '"]');
		if (b) b.focus();
	}
}
