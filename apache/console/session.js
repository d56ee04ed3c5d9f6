// SPDX-License-Identifier: GPL-2.0-or-later
// The ctd session: login (Apache has already authenticated the browser, so
// login() needs no parameters), the role from whoami(), rpc() with one
// transparent re-login, logout, and the "signed in as" header.  A viewer
// is never shown an action control: anything but an explicit operator
// role gets the read-only page (the server refuses the rest anyway).
import { Client, XmlRpcFault } from './xmlrpc.js';
import { $, el, button } from './dom.js';

const client = new Client(document.body.dataset.rpc || '/RPC2');

export const session = {
	id: null,
	user: '',
	role: '',
	operator: false,
	// The server session's auto-refresh seconds (0: stable snapshot), set
	// again on a fresh session after a re-login.
	autorefresh: 0,
};

export async function login() {
	// Apache authenticated this request; ctd ignores the parameters.
	session.id = await client.call('login');
	const who = await client.call('whoami', session.id);
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
		return await client.call(method, session.id, ...params);
	} catch (e) {
		if (retry && e instanceof XmlRpcFault && e.faultCode === 2) {
			await login();
			if (session.autorefresh)
				await client.call('set_autorefresh', session.id, session.autorefresh);
			return client.call(method, session.id, ...params);
		}
		throw e;
	}
}

function drawWho() {
	$('who').textContent = '';
	const u = el('strong', '', session.user || '(unknown user)');
	const r = el('span', 'role role-' + (session.operator ? 'operator' : 'viewer'), session.role || 'viewer');
	r.id = 'role';
	$('who').append('Signed in as ', u, ' ', r);
	$('logout').hidden = false;
	for (const e of document.querySelectorAll('.operator-only'))
		e.hidden = !session.operator;
}

export async function logout() {
	try { await client.call('logout', session.id); } catch (e) { /* gone already */ }
	session.id = null;
	document.body.classList.add('logged-out');
	$('who').textContent = 'Logged out of ctd. The browser still holds its HTTP credentials; close it to forget them.';
	$('logout').hidden = true;
	const again = button('Log in again', '', () => location.reload());
	$('who').append(' ', again);
	again.focus();
}
