// SPDX-License-Identifier: GPL-2.0-or-later
// The pager under the table: "first–last of total · page n of m", the
// First/Prev/Next/Last buttons and the page size.
import { $ } from './dom.js';
import { state, resetPage } from './state.js';
import { group } from './format.js';
import { load, onView } from './view.js';
import { t } from './i18n.js';

function goPage(start) {
	state.start = Math.max(0, start);
	resetPage();
	load();
}

function drawPager() {
	const len = state.length;
	const first = state.total === 0 ? 0 : state.start + 1;
	const last = Math.min(state.start + state.rows.length, state.total);
	const page = Math.floor(state.start / len) + 1;
	const pages = Math.max(1, Math.ceil(state.total / len));
	const v = { first: group(first), last: group(last), total: group(state.total), page: group(page), pages: group(pages) };
	$('pageinfo').textContent = t(state.rows.length ? 'pager.info' : 'pager.none', v);
	$('first').disabled = $('prev').disabled = state.start === 0;
	$('next').disabled = $('last').disabled = state.start + len >= state.total;
}

export function initPager() {
	state.length = Number($('pagesize').value);
	$('first').addEventListener('click', () => goPage(0));
	$('prev').addEventListener('click', () => goPage(state.start - state.length));
	$('next').addEventListener('click', () => goPage(state.start + state.length));
	$('last').addEventListener('click', () =>
		goPage(Math.max(0, Math.floor((state.total - 1) / state.length) * state.length)));
	$('pagesize').addEventListener('change', () => {
		state.length = Number($('pagesize').value);
		goPage(Math.floor(state.start / state.length) * state.length);
	});
	onView(drawPager);
	document.addEventListener('ctd-lang', drawPager);
}
