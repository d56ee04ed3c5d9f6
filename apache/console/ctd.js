// SPDX-License-Identifier: GPL-2.0-or-later
// The console's entry module (index.html loads only this): wires the
// panels to the page, opens the session and draws the first page.  The
// console is one more XML-RPC client of /RPC2; each panel is a module of
// its own (filters.js, refresh.js, table.js, pager.js, actions.js,
// export.js, and beside the table health.js, top.js, chart.js), and a new panel is one
// more import and init call here.  Every string the page shows comes from
// i18n.js: the fixed text of index.html through its data-i18n attributes,
// the rest from the panels, each redrawing its own on 'ctd-lang' from
// what it last drew (no new server call).
import { $ } from './dom.js';
import { lang, setLang, t, translatePage } from './i18n.js';
import { login, logout, initSession } from './session.js';
import { setStatus, faultText, initStatus } from './status.js';
import { load } from './view.js';
import { initFilters } from './filters.js';
import { initRefresh, stopAuto } from './refresh.js';
import { initTable } from './table.js';
import { initPager } from './pager.js';
import { initActions } from './actions.js';
import { initHealth } from './health.js';
import { initTop } from './top.js';
import { initChart } from './chart.js';
import { initTabs } from './tabs.js';
import { initKillAll } from './killall.js';
import { initLive } from './live.js';
import { initExpect } from './expect.js';
import { initAudit } from './audit.js';
import { initExport } from './export.js';

// The EN/FR switch in the header; the choice is kept (i18n.js).
function initLang() {
	const draw = () => {
		translatePage();
		for (const b of $('lang').querySelectorAll('button[data-lang]'))
			b.setAttribute('aria-pressed', String(b.dataset.lang === lang()));
	};
	for (const b of $('lang').querySelectorAll('button[data-lang]'))
		b.addEventListener('click', () => setLang(b.dataset.lang));
	document.addEventListener('ctd-lang', draw);
	draw();
}

async function start() {
	initLang();
	initStatus();
	initSession();
	// The panels draw from each view() answer in this order.
	initFilters();
	initRefresh();
	initTable();
	initPager();
	initActions();
	// these ask the server for more (stats, summary, history) after each view
	initHealth();
	initTop();
	initChart();
	// the tab bar and what acts on, or watches, more than one row
	initTabs();
	initKillAll();
	initLive();
	initExpect();
	initAudit();
	initExport();
	$('logout').addEventListener('click', () => { stopAuto(); logout(); });
	try {
		await login();
	} catch (e) {
		delete $('who').dataset.i18n;
		const notIn = () => { $('who').textContent = t('session.notSignedIn'); };
		notIn();
		document.addEventListener('ctd-lang', notIn);
		setStatus(() => t('session.cannotOpen', { err: faultText(e) }), 'err');
		return;
	}
	// A new session starts with auto-refresh off (stable snapshot).
	await load();
	document.body.classList.add('ready');
}

start();
