// SPDX-License-Identifier: GPL-2.0-or-later
// Browser test of the console's languages, export and long calls
// (apache/console/i18n.js, export.js, session.js) in real headless
// Chromium (Debian's /usr/bin/chromium, playwright-core) against the real
// demo.  Run by tests/browser/test-console-i18n.py inside the demo's
// network namespace, which holds CTD_EXPORT_COUNT entries with mark
// CTD_EXPORT_MARK and others without it.
//
//   1. A browser whose language is French (fr-FR) gets the page in French:
//      headings, controls, numbers grouped the French way, a fault with
//      its French heading and the server's text; the EN switch turns it
//      English without a new server call, and the choice survives a
//      reload.
//   2. Export CSV and Export JSON of the table filtered by the mark and
//      sorted by source port, descending, with auto-refresh on: every
//      page read at the maximum page size, the progress bar seen moving,
//      auto-refresh off on the server for the export and restored after,
//      the long-call indicator shown for a view() answered after 300 ms
//      (the test delays them); the files go to CTD_SHOT_DIR (export.csv,
//      export.json) for the runner to compare with the API.
//   3. Cancel stops an export: no more view() calls, no file.
//   4. The page opened as https://admin:PASSWORD@127.0.0.1:PORT/ctd/
//      (credentials in the URL) loads the table.
//
// Environment (set by tests/browser/test-console-i18n.py; driver.js reads the first three):
//   CTD_URL, CTD_ADMIN_PASSWORD, CTD_SHOT_DIR (screenshots and the exported files),
//   CTD_EXPORT_MARK, CTD_EXPORT_COUNT, CTD_TOTAL (entries the page shows unfiltered)
// Output: "ok - ..." / "not ok - ..." lines, then "N passed, N failed, N skipped".
'use strict';

const fs = require('fs');
const path = require('path');
const { URL_, ADMIN_PW, SHOTS, WAIT, ok, eq, sleep, run, inBrowser, user, watch, load, afterLoad, panelsDrawn, shot } =
	require('./driver');

const MARK = process.env.CTD_EXPORT_MARK;
const COUNT = Number(process.env.CTD_EXPORT_COUNT);
const TOTAL = Number(process.env.CTD_TOTAL);

const fr = (n) => new Intl.NumberFormat('fr-FR').format(n);
const en = (n) => new Intl.NumberFormat('en-US').format(n);
// an export's view(): length 0, the maximum page (auto-refresh's own views ask for 100)
const exportView = (c) => c.method === 'view' && c.ints[c.ints.length - 1] === 0;

// XML-RPC calls the page made, from the requests themselves.
function parseCall(body) {
	const m = /<methodName>([^<]+)<\/methodName>/.exec(body || '');
	const ints = [...(body || '').matchAll(/<int>(-?\d+)<\/int>/g)].map((x) => Number(x[1]));
	return { method: m ? m[1] : '?', ints, body: body || '', at: Date.now() };
}

// Errors to errors, the XML-RPC calls to calls (driver.js: watch).
const watchCalls = (page, label, errors, calls) =>
	watch(page, label, errors, calls, (r) => ({ ...parseCall(r.postData()), url: r.url() }));

const text = (page, sel) => page.textContent(sel).then((s) => (s || '').trim());

// ---- 1. languages ----------------------------------------------------------------

async function languages(page, calls) {
	const resp = await load(page);
	eq(resp.status(), 200, 'fr-FR browser: the console page loads');
	await panelsDrawn(page);
	eq(await page.evaluate(() => [navigator.language, document.documentElement.lang]), ['fr-FR', 'fr'],
		'a browser in French (fr-FR) gets the page in French (html lang="fr")');
	eq(await page.getAttribute('#lang button[data-lang="fr"]', 'aria-pressed'), 'true', 'the switch shows FR chosen');
	const french = {
		'#chart-title': 'Historique',
		'#apply': 'Appliquer',
		'label[for="f-proto"]': 'Protocole',
		'th[data-col="obytes"] button.sort': 'Octets aller',
		'th[data-col="timeout"] button.sort': 'Expiration',
		'#refresh': 'Actualiser',
		'#export-csv': 'Exporter en CSV',
		'#logout': 'Se déconnecter',
	};
	const got = {};
	for (const sel of Object.keys(french)) got[sel] = (await text(page, sel)).replace(/\s*[▲▼]$/, '');
	eq(got, french, 'headings, labels and buttons are French');
	ok((await text(page, '#top-title')).startsWith('Principales sources'), 'the Top panel\'s heading is French',
		await text(page, '#top-title'));
	eq(await text(page, '#role'), 'opérateur', 'the role reads in French');
	const info = await text(page, '#pageinfo');
	eq(info, '1–100 sur ' + fr(TOTAL) + ' · page 1 sur ' + fr(Math.ceil(TOTAL / 100)),
		'the pager counts in French: ' + fr(TOTAL) + ' (a narrow no-break space groups thousands)');
	ok(fr(TOTAL).includes('\u202f'), 'French grouping differs from English (' + en(TOTAL) + ')', fr(TOTAL));
	const fill = await text(page, '#fill-text');
	ok(/^[\d\u202f]+ sur [\d\u202f]+ entrées \([\d,]+\u00a0%\)$/.test(fill) && fill.includes(','),
		'the gauge reads "N sur M entrées (x,y %)": French decimal comma and percent', fill);
	ok(/^Instantané du .*\d\d:\d\d:\d\d/.test(await text(page, '#snapshot')), 'the snapshot time reads in French',
		await text(page, '#snapshot'));
	const timeoutCell = await text(page, '#rows tr[data-id] td[data-col="timeout"] .v');
	ok(/^\d+ min \d+ s$/.test(timeoutCell), 'a timeout reads "N min N s"', timeoutCell);
	await shot(page, 'fr-console.png');

	// a fault from the server: its French heading, the server's own text
	await afterLoad(page, async () => {
		await page.fill('#f-addr', '10.1.2.999');
		await page.click('#apply');
	});
	const st = await text(page, '#status');
	ok(/^Impossible de charger la table : erreur 3 \(paramètre invalide\) : \S/.test(st),
		'fault 3 shows its French heading, then the server\'s text', st);

	// the switch: English, from what is drawn, without asking the server
	const before = calls.length;
	await page.click('#lang button[data-lang="en"]');
	await page.waitForFunction(() => document.documentElement.lang === 'en');
	eq(await text(page, '#chart-title'), 'History', 'EN: the headings turn English');
	eq(await text(page, '#apply'), 'Apply', 'EN: the buttons turn English');
	ok(/^Could not load the table: fault 3 \(bad parameter\): \S/.test(await text(page, '#status')),
		'EN: the fault is said again in English', await text(page, '#status'));
	await sleep(300);
	eq(calls.slice(before).map((c) => c.method), [], 'switching language made no server call');
	await afterLoad(page, async () => {
		await page.fill('#f-addr', '');
		await page.click('#apply');
	});
	eq(await text(page, '#pageinfo'), '1–100 of ' + en(TOTAL) + ' · page 1 of ' + en(Math.ceil(TOTAL / 100)),
		'EN: the pager counts in English');
	await page.reload();
	await page.waitForSelector('body.ready', { timeout: WAIT });
	eq([await page.evaluate(() => document.documentElement.lang), await text(page, '#chart-title')], ['en', 'History'],
		'the choice survives a reload (English, though the browser asks for French)');
	await page.click('#lang button[data-lang="fr"]');
	await page.reload();
	await page.waitForSelector('body.ready', { timeout: WAIT });
	eq(await text(page, '#chart-title'), 'Historique', 'FR chosen again: French after a reload');
}

// ---- 2. export -------------------------------------------------------------------

// Delay the page's view() calls by ms (0: none), so that a test sees an
// export between its pages and a call pending for more than 300 ms.
async function delayViews(page, ms) {
	await page.unroute('**/RPC2').catch(() => {});
	if (!ms) return;
	await page.route('**/RPC2', async (route) => {
		if (/<methodName>view<\/methodName>/.test(route.request().postData() || '')) await sleep(ms);
		await route.continue();
	});
}

// Record every value #export-progress[data-rows] takes, in the page.
const recordProgress = (page) => page.evaluate(() => {
	window.ctdSeen = [];
	const p = document.getElementById('export-progress');
	window.ctdObs && window.ctdObs.disconnect();
	window.ctdObs = new MutationObserver(() => window.ctdSeen.push(p.dataset.rows));
	window.ctdObs.observe(p, { attributes: true, attributeFilter: ['data-rows'] });
});

async function exportOne(page, calls, kind, file) {
	await recordProgress(page);
	const from = calls.length;
	const [dl] = await Promise.all([
		page.waitForEvent('download', { timeout: WAIT }),
		page.click('#export-' + kind),
	]);
	const to = path.join(SHOTS, file);
	await dl.saveAs(to);
	await page.waitForFunction(() => document.getElementById('export-box').dataset.state === 'done', null, { timeout: WAIT });
	// the restoring set_autorefresh comes after the download
	await page.waitForFunction(() => !document.querySelector('#export-csv').disabled);
	return { name: dl.suggestedFilename(), to, mine: calls.slice(from), seen: await page.evaluate(() => window.ctdSeen) };
}

async function exporting(page, calls) {
	await afterLoad(page, async () => {
		await page.fill('#f-mark', MARK);
		await page.click('#apply');
	});
	eq(await page.evaluate(() => document.getElementById('pageinfo').textContent.split(' sur ')[1].split(' ·')[0]), fr(COUNT),
		'the table filtered by mark ' + MARK + ' holds ' + fr(COUNT) + ' entries');
	// sorted by source port, descending: the export must keep this order
	for (let i = 0; i < 2; i++) {
		if (await page.getAttribute('th[data-col="sport"]', 'aria-sort') === 'descending') break;
		await afterLoad(page, () => page.click('th[data-col="sport"] button.sort'));
	}
	eq(await page.getAttribute('th[data-col="sport"]', 'aria-sort'), 'descending', 'sorted by source port, descending');
	// auto-refresh on, to see the export turn it off and back on
	await page.fill('#interval', '30');
	await afterLoad(page, () => page.check('#auto'));

	await delayViews(page, 700);
	await recordProgress(page);
	const from = calls.length;
	const dlP = page.waitForEvent('download', { timeout: WAIT });
	await page.click('#export-csv');
	await page.waitForFunction(() => {
		const p = document.getElementById('export-progress');
		return Number(p.dataset.rows || 0) >= 1000 && Number(p.dataset.rows) < Number(p.dataset.total);
	}, null, { timeout: WAIT });
	const bar = await page.evaluate(() => {
		const p = document.getElementById('export-progress');
		return { value: p.value, max: p.max, text: document.getElementById('export-text').textContent,
			visible: !document.getElementById('export-box').hidden, cancel: !!document.getElementById('export-cancel').offsetParent };
	});
	ok(bar.visible && bar.cancel && bar.max === COUNT && bar.value >= 1000 && bar.value < COUNT,
		'while it runs: a progress bar (rows fetched of ' + COUNT + ') and a Cancel button', JSON.stringify(bar));
	ok(/^[\d\u202f]+ sur 5\u202f000 lignes$/.test(bar.text), 'the bar says "N sur 5 000 lignes"', bar.text);
	await page.waitForFunction(() => !document.getElementById('pending').hidden, null, { timeout: WAIT });
	const pend = await text(page, '#pending');
	ok(/^En attente de view\(\) · \d+,\d s$/.test(pend), 'a view() pending over 300 ms shows the indicator with its elapsed time',
		pend);
	await shot(page, 'export-progress.png');
	const dl = await dlP;
	const csvPath = path.join(SHOTS, 'export.csv');
	await dl.saveAs(csvPath);
	await page.waitForFunction(() => document.getElementById('export-box').dataset.state === 'done', null, { timeout: WAIT });
	await page.waitForFunction(() => document.getElementById('pending').hidden, null, { timeout: WAIT });
	ok(true, 'the pending-call indicator goes away once the calls are answered');
	const seen = (await page.evaluate(() => window.ctdSeen)).map(Number);
	ok(seen.length >= 4 && seen.every((v, i) => i === 0 || v >= seen[i - 1]) && seen.filter((v) => v > 0 && v < COUNT).length >= 3 &&
		seen[seen.length - 1] === COUNT, 'the progress bar was seen moving: ' + seen.join(' → '), JSON.stringify(seen));
	ok(/^ctd-\d{8}-\d{6}\.csv$/.test(dl.suggestedFilename()), 'the file is named after the snapshot', dl.suggestedFilename());
	const mine = calls.slice(from);
	const views = mine.filter(exportView);
	eq(views.length, Math.ceil(COUNT / 1000), 'the export read ' + Math.ceil(COUNT / 1000) + ' pages');
	ok(views.every((c) => c.body.includes('<string>orig_port_src</string><') &&
		c.body.includes('<string>desc</string>') && c.body.includes('<name>mark</name>')),
	'each page asks view() for the maximum page (length 0) of the filter and order shown');
	eq(views.map((c) => c.ints[c.ints.length - 2]), views.map((c, i) => i * 1000), 'pages start at 0, 1000, 2000, ...');
	const sa = mine.filter((c) => c.method === 'set_autorefresh').map((c) => c.ints[0]);
	const firstView = mine.findIndex((c) => c.method === 'view');
	const off = mine.findIndex((c) => c.method === 'set_autorefresh' && c.ints[0] === 0);
	ok(sa.length === 2 && sa[0] === 0 && sa[1] === 30 && off >= 0 && off < firstView,
		'auto-refresh is off on the server for the export (set_autorefresh 0 first) and restored after (30)', JSON.stringify(sa));
	const csv = fs.readFileSync(csvPath, 'utf8');
	eq(csv.split('\r\n').filter((l, i, a) => i < a.length - 1 || l !== '').length, COUNT + 1,
		'the CSV has ' + (COUNT + 1) + ' lines (a header and one per entry)');
	ok(/^\ufeffID,Proto,Source,/.test(csv), 'its header has the columns as shown (French headings)', csv.slice(0, 80));
	ok(/,id,/.test(csv.split('\r\n')[0]) && csv.split('\r\n')[0].includes('orig_counter_bytes'), 'and the raw fields',
		csv.split('\r\n')[0]);

	await delayViews(page, 0);
	const j = await exportOne(page, calls, 'json', 'export.json');
	const arr = JSON.parse(fs.readFileSync(j.to, 'utf8'));
	ok(Array.isArray(arr) && arr.length === COUNT, 'the JSON export is an array of ' + COUNT + ' objects', arr && arr.length);
	// ids are strings in the API (a u32 does not fit an i4)
	ok(arr.every((o) => o.id !== undefined && o.mark === Number(MARK) && o.shown && o.shown.id === String(o.id)),
		'each has the raw fields and the columns as shown');
	const csvIds = csv.split('\r\n').slice(1).filter(Boolean).map((l) => l.split(',')[0]);
	const jsonIds = arr.map((o) => String(o.id));
	ok(jsonIds.join() === csvIds.join(), 'the JSON and the CSV list the same ids in the same order',
		jsonIds.length + ' and ' + csvIds.length + ' ids, first ' + jsonIds.slice(0, 3) + ' and ' + csvIds.slice(0, 3));
}

async function cancelling(page, calls) {
	await delayViews(page, 1500);
	await recordProgress(page);
	let downloads = 0;
	const onDl = () => downloads++;
	page.on('download', onDl);
	const from = calls.length;
	await page.click('#export-json');
	await page.waitForFunction(() => Number(document.getElementById('export-progress').dataset.rows || 0) >= 1000,
		null, { timeout: WAIT });
	await page.click('#export-cancel');
	await page.waitForFunction(() => document.getElementById('export-box').dataset.state === 'cancelled', null, { timeout: WAIT });
	const n = calls.slice(from).filter(exportView).length;
	await sleep(2500);
	const views = calls.slice(from).filter(exportView).length;
	ok(views < Math.ceil(COUNT / 1000) && views === n, 'Cancel stops the export: ' + views + ' of ' + Math.ceil(COUNT / 1000) +
		' pages read, none after', views + ' then ' + n);
	eq(downloads, 0, 'a cancelled export saves no file');
	ok(/^Export annulé/.test(await text(page, '#status')), 'the status says the export was cancelled', await text(page, '#status'));
	const sa = calls.slice(from).filter((c) => c.method === 'set_autorefresh').map((c) => c.ints[0]);
	eq(sa, [0, 30], 'auto-refresh is restored after a cancelled export too');
	page.off('download', onDl);
	await delayViews(page, 0);
	await page.uncheck('#auto');
}

// ---- 4. credentials in the URL ------------------------------------------------------

async function credentialsInUrl(b, errors) {
	const calls = [];
	watchCalls(b.page, 'credentials in URL', errors, calls);
	const u = new URL(URL_);
	u.username = 'admin';
	u.password = ADMIN_PW;
	const resp = await load(b.page, u.href);
	eq(resp.status(), 200, 'the page opened as https://admin:PASSWORD@127.0.0.1:PORT/ctd/ loads');
	const info = await text(b.page, '#pageinfo');
	eq(info, '1–100 of ' + en(TOTAL) + ' · page 1 of ' + en(Math.ceil(TOTAL / 100)), 'and shows the table', info);
	eq(await b.page.getAttribute('#status', 'class'), 'status', 'with no error');
	ok(calls.length > 0 && calls.every((c) => !c.url.includes('@') && c.url === u.origin + '/RPC2'),
		'its calls go to the origin\'s /RPC2, without the credentials in the URL', calls.map((c) => c.url).join(' '));
}

run(async (errors) => {
	await inBrowser({ locale: 'fr-FR', acceptDownloads: true, httpCredentials: user('admin') }, async (b) => {
		const calls = [];
		watchCalls(b.page, 'fr-FR', errors, calls);
		await languages(b.page, calls);
		await exporting(b.page, calls);
		await cancelling(b.page, calls);
	});
	await inBrowser({ locale: 'en-US', acceptDownloads: true }, (b) => credentialsInUrl(b, errors));
}, { CTD_EXPORT_MARK: MARK });
