// SPDX-License-Identifier: GPL-2.0-or-later
// The console's entry module (index.html loads only this): wires the
// panels to the page, opens the session and draws the first page.  The
// console is one more XML-RPC client of /RPC2; each panel is a module of
// its own (filters.js, refresh.js, table.js, pager.js, actions.js, and
// beside the table health.js, top.js, chart.js), and a new panel is one
// more import and init call here.
import { $ } from './dom.js';
import { login, logout } from './session.js';
import { setStatus, faultText } from './status.js';
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

async function start() {
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
	$('logout').addEventListener('click', () => { stopAuto(); logout(); });
	try {
		await login();
	} catch (e) {
		$('who').textContent = 'Not signed in';
		setStatus('Could not open a ctd session: ' + faultText(e), 'err');
		return;
	}
	// A new session starts with auto-refresh off (stable snapshot).
	await load();
	document.body.classList.add('ready');
}

start();
