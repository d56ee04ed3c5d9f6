// SPDX-License-Identifier: GPL-2.0-or-later
// What the panels around the table (health.js, top.js, chart.js) share:
// each makes one call of its own after a view() answer or a change of its
// own controls.  Only the newest answer is drawn; a fault is said in the
// panel, never in the status line the table owns; the panel's element
// carries [data-busy] (1 while a call is under way) and [data-loads]
// (finished calls), which tests wait on.  A new language ('ctd-lang')
// draws the newest answer or fault again, without a new call.
import { $ } from './dom.js';
import { rpc } from './session.js';
import { panelFault, missing } from './status.js';

// A function that calls method(session, ...params) for the panel id, then
// draw(answer) or fail(sentence, missing, error) where missing means the
// server has no such method.  No retry on an expired session unless
// retry (a tab that calls on its own; a panel follows a view(), which logs
// in again).  redraw(answer), if given, draws an answer again (default:
// draw).
export function panelCall(id, method, draw, fail, redraw, retry = false) {
	let seq = 0, loads = 0;
	let last = null;	// {res} or {err} of the newest call
	const drawLast = () => {
		if (!last) return;
		if ('err' in last) fail(panelFault(last.err, method), missing(last.err), last.err);
		else (redraw || draw)(last.res);
	};
	document.addEventListener('ctd-lang', drawLast);
	return async (...params) => {
		const mine = ++seq;
		const box = $(id);
		box.dataset.busy = '1';
		try {
			const res = await rpc(method, params, retry);
			if (mine === seq) { last = { res }; draw(res); }
		} catch (e) {
			if (mine === seq) { last = { err: e }; fail(panelFault(e, method), missing(e), e); }
		} finally {
			if (mine === seq) {
				box.dataset.loads = String(++loads);
				box.dataset.busy = '0';
			}
		}
	};
}
