// SPDX-License-Identifier: GPL-2.0-or-later
// The status line under the controls, and how an error reads in it: a
// fault's code with what it means (the codes are stable per cause), then
// the server's own sentence.
import { XmlRpcFault } from './xmlrpc.js';
import { $ } from './dom.js';

const FAULT_HINT = {
	1: 'authentication failed',
	2: 'session expired',
	3: 'bad parameter',
	4: 'not permitted for your role',
	5: 'connection not found (gone since the snapshot?)',
	6: 'helper unavailable',
	7: 'kernel error',
	8: 'server misconfigured',
};

export function faultText(e) {
	if (e instanceof XmlRpcFault) {
		const hint = FAULT_HINT[e.faultCode];
		return 'fault ' + e.faultCode + (hint ? ' (' + hint + ')' : '') + ': ' + e.faultString;
	}
	return e && e.message ? e.message : String(e);
}

// xmlrpc-c's fault for a method the server does not have (an older ctd.cgi).
export const UNKNOWN_METHOD = -506;

// How a panel says its call failed: an older server without the method is
// "not available", anything else is the fault as above.
export const missing = (e) => e instanceof XmlRpcFault && e.faultCode === UNKNOWN_METHOD;
export function panelFault(e, method) {
	if (missing(e))
		return 'Not available: this server has no ' + method + '() method.';
	return 'Could not read ' + method + '(): ' + faultText(e);
}

// kind: '' (neutral), 'ok' or 'err'.
export function setStatus(text, kind) {
	const el = $('status');
	el.textContent = text || '';
	el.className = 'status' + (kind ? ' ' + kind : '');
}
