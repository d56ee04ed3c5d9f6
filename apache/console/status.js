// SPDX-License-Identifier: GPL-2.0-or-later
// The status line under the controls, and how an error reads in it: a
// fault's code with a heading that says what it means in the chosen
// language (the codes are stable per cause), then the server's own
// sentence as it sent it.
import { XmlRpcFault, XmlRpcError } from './xmlrpc.js';
import { $ } from './dom.js';
import { t } from './i18n.js';

// The fault codes with a heading (i18n.js 'fault.N').
const FAULT_HINT = new Set([1, 2, 3, 4, 5, 6, 7, 8]);

export function faultText(e) {
	if (e instanceof XmlRpcFault) {
		const v = { code: e.faultCode, text: e.faultString };
		return FAULT_HINT.has(e.faultCode)
			? t('fault.heading', { ...v, hint: t('fault.' + e.faultCode) }) : t('fault.bare', v);
	}
	// the client's own errors carry a message key (xmlrpc.js stays free of the page)
	if (e instanceof XmlRpcError)
		return e.key ? t(e.key, e.vars) : t('rpc.protocol', { err: e.message });
	return e && e.message ? e.message : String(e);
}

// xmlrpc-c's fault for a method the server does not have (an older ctd.cgi).
export const UNKNOWN_METHOD = -506;

// How a panel says its call failed: an older server without the method is
// "not available", anything else is the fault as above.
export const missing = (e) => e instanceof XmlRpcFault && e.faultCode === UNKNOWN_METHOD;
export function panelFault(e, method) {
	if (missing(e))
		return t('panel.missing', { method });
	return t('panel.failed', { method, err: faultText(e) });
}

// text: a string, or a function giving it, which is asked again when the
// language changes (so the line is said again in the new language).
// kind: '' (neutral), 'ok' or 'err'.
let said = null, saidKind = '';
export function setStatus(text, kind) {
	said = text;
	saidKind = kind || '';
	const el = $('status');
	el.textContent = (typeof text === 'function' ? text() : text) || '';
	el.className = 'status' + (kind ? ' ' + kind : '');
}

export function initStatus() {
	document.addEventListener('ctd-lang', () => { if (typeof said === 'function') setStatus(said, saidKind); });
}
