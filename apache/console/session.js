// SPDX-License-Identifier: GPL-2.0-or-later
// The ctd session: login (Apache has already authenticated the browser, so
// login() needs no parameters), the role from whoami(), rpc() with one
// transparent re-login, logout, and the "signed in as" header.  A viewer
// is never shown an action control: anything but an explicit operator
// role gets the read-only page (the server refuses the rest anyway).
// Every call of the page goes through call() here, which shows the
// pending-call indicator (#pending) for a call still unanswered after
// PENDING_MS, with its elapsed time.
import { Client, XmlRpcFault } from './xmlrpc.js';
import { $, el, button } from './dom.js';
import { t, num } from './i18n.js';

// The endpoint from the page's origin and a path, never from the full
// location: a page opened as https://user:password@host/ctd/ has its
// credentials in location.href, and fetch() refuses a URL that carries
// them ("Request cannot be constructed from a URL that includes
// credentials").  location.origin never does.
function endpoint(path) {
	const dir = location.pathname.replace(/[^/]*$/, '');
	return location.origin + (path.startsWith('/') ? path : dir + path);
}

const client = new Client(endpoint(document.body.dataset.rpc || '/RPC2'));

export const session = {
	id: null,
	user: '',
	role: '',
	operator: false,
	// The server session's auto-refresh seconds (0: stable snapshot), set
	// again on a fresh session after a re-login.
	autorefresh: 0,
};

// ---- calls under way ----------------------------------------------------------

const PENDING_MS = 300;
// Calls that wait on purpose (events(): a long poll of the Live tab) are
// not slow and show no indicator.
const WAITS = new Set(['events']);
const pending = new Set();	// {method, since} of the calls under way
let ticker = null;

function drawPending() {
	const box = $('pending');
	if (!box) return;
	const now = performance.now();
	const oldest = [...pending].reduce((a, c) => (a && a.since <= c.since ? a : c), null);
	if (!oldest || now - oldest.since < PENDING_MS) {
		box.hidden = true;
		box.dataset.method = '';
		if (!oldest && ticker) { clearInterval(ticker); ticker = null; }
		return;
	}
	const secs = (now - oldest.since) / 1000;
	box.querySelector('.pending-text').textContent = t('pending.text', { method: oldest.method, secs: num(secs, 1) });
	box.dataset.method = oldest.method;
	box.dataset.ms = String(Math.round(now - oldest.since));
	box.hidden = false;
}

async function call(method, ...params) {
	if (WAITS.has(method)) return client.call(method, ...params);
	const c = { method, since: performance.now() };
	pending.add(c);
	if (!ticker) ticker = setInterval(drawPending, 100);
	try {
		return await client.call(method, ...params);
	} finally {
		pending.delete(c);
		drawPending();
	}
}

// ---- the session --------------------------------------------------------------

export async function login() {
	// Apache authenticated this request; ctd ignores the parameters.
	session.id = await call('login');
	const who = await call('whoami', session.id);
	session.user = String(who.user || '');
	session.role = String(who.role || '');
	session.operator = session.role === 'operator';
	drawWho();
}

// Calls that are safe to repeat on a fresh session (reads, settings) are
// retried once after an expired session; kill/change are not, since their
// ids belong to the old session's snapshot.
export async function rpc(method, params, retry) {
	try {
		return await call(method, session.id, ...params);
	} catch (e) {
		if (retry && e instanceof XmlRpcFault && e.faultCode === 2) {
			await login();
			if (session.autorefresh)
				await call('set_autorefresh', session.id, session.autorefresh);
			return call(method, session.id, ...params);
		}
		throw e;
	}
}

let loggedOut = false;

function drawWho() {
	if (loggedOut) { drawLoggedOut(); return; }
	if (session.id === null) return;
	delete $('who').dataset.i18n;
	$('who').textContent = '';
	const u = el('strong', '', session.user || t('session.unknownUser'));
	// the two roles ctd knows are translated; another is shown as sent
	const role = session.role || 'viewer';
	const known = role === 'operator' || role === 'viewer';
	const r = el('span', 'role role-' + (session.operator ? 'operator' : 'viewer'),
		known ? t('session.role.' + role) : role);
	r.id = 'role';
	r.dataset.role = role;
	$('who').append(t('session.signedInAs') + ' ', u, ' ', r);
	$('logout').hidden = false;
	for (const e of document.querySelectorAll('.operator-only'))
		e.hidden = !session.operator;
}

function drawLoggedOut() {
	delete $('who').dataset.i18n;
	$('who').textContent = t('session.loggedOut');
	$('logout').hidden = true;
	const again = button(t('session.loginAgain'), '', () => location.reload());
	$('who').append(' ', again);
	return again;
}

export async function logout() {
	try { await call('logout', session.id); } catch (e) { /* gone already */ }
	session.id = null;
	loggedOut = true;
	document.body.classList.add('logged-out');
	drawLoggedOut().focus();
}

export function initSession() {
	document.addEventListener('ctd-lang', () => { drawWho(); drawPending(); });
}
