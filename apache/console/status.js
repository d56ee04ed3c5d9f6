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

// kind: '' (neutral), 'ok' or 'err'.
export function setStatus(text, kind) {
	const el = $('status');
	el.textContent = text || '';
	el.className = 'status' + (kind ? ' ' + kind : '');
}
