// SPDX-License-Identifier: GPL-2.0-or-later
// A small XML-RPC client for ctd's console: encodes the types the console
// sends (int, double, string, boolean, array, struct) and decodes the types
// ctd answers with (i4/int, double, string, boolean, array, struct, plus
// base64 and dateTime.iso8601 as strings), and faults.  ctd never sends
// <i8> or <nil/> (PHP clients would read them as NULL); meeting one is
// reported as a protocol error rather than guessed at.  The browser's own
// credentials go with each request (same origin), so whatever auth Apache
// does keeps working.  An ES module: nothing here touches the page.
const I4_MIN = -2147483648;
const I4_MAX = 2147483647;
// Nesting the console ever needs is 3 (struct in array in struct); the
// server allows 32.  A deeper answer is a broken or hostile response.
const MAX_DEPTH = 32;

export class XmlRpcFault extends Error {
	constructor(code, string) {
		super('fault ' + code + ': ' + string);
		this.name = 'XmlRpcFault';
		this.faultCode = code;
		this.faultString = string;
	}
}

// key and vars (optional) name the sentence in the console's message
// table (i18n.js) for the errors a user can act on; the page translates.
export class XmlRpcError extends Error {
	constructor(message, key, vars) {
		super(message);
		this.name = 'XmlRpcError';
		this.key = key;
		this.vars = vars;
	}
}

// Wrappers to force a type where a JS value is ambiguous.
export class Double { constructor(v) { this.value = Number(v); } }
export class Str { constructor(v) { this.value = String(v); } }

function escapeXml(s) {
	return String(s).replace(/[&<>"]/g, (c) => (
		{ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

function encodeValue(v, depth) {
	if (depth > MAX_DEPTH)
		throw new XmlRpcError('value nested too deeply');
	if (v instanceof Double) {
		if (!Number.isFinite(v.value))
			throw new XmlRpcError('not a finite number: ' + v.value);
		return '<value><double>' + v.value + '</double></value>';
	}
	if (v instanceof Str)
		return '<value><string>' + escapeXml(v.value) + '</string></value>';
	switch (typeof v) {
	case 'boolean':
		return '<value><boolean>' + (v ? 1 : 0) + '</boolean></value>';
	case 'string':
		return '<value><string>' + escapeXml(v) + '</string></value>';
	case 'number':
		if (!Number.isFinite(v))
			throw new XmlRpcError('not a finite number: ' + v);
		if (Number.isInteger(v) && v >= I4_MIN && v <= I4_MAX)
			return '<value><int>' + v + '</int></value>';
		return '<value><double>' + v + '</double></value>';
	case 'object':
		if (v === null)
			throw new XmlRpcError('null cannot be sent (no <nil/>)');
		if (Array.isArray(v))
			return '<value><array><data>' +
				v.map((x) => encodeValue(x, depth + 1)).join('') +
				'</data></array></value>';
		return '<value><struct>' + Object.keys(v).map((k) =>
			'<member><name>' + escapeXml(k) + '</name>' +
			encodeValue(v[k], depth + 1) + '</member>').join('') +
			'</struct></value>';
	default:
		throw new XmlRpcError('cannot encode a ' + typeof v);
	}
}

export function encodeCall(method, params) {
	if (!/^[A-Za-z0-9_.:\/]+$/.test(method))
		throw new XmlRpcError('bad method name: ' + method);
	return '<?xml version="1.0" encoding="UTF-8"?>\n<methodCall><methodName>' +
		method + '</methodName><params>' +
		params.map((p) => '<param>' + encodeValue(p, 1) + '</param>').join('') +
		'</params></methodCall>';
}

function elementChildren(node) {
	const out = [];
	for (let c = node.firstElementChild; c; c = c.nextElementSibling)
		out.push(c);
	return out;
}

function onlyChild(node, what) {
	const kids = elementChildren(node);
	if (kids.length !== 1)
		throw new XmlRpcError('expected one <' + what + '> in <' +
			node.localName + '>, found ' + kids.length);
	if (what !== '*' && kids[0].localName !== what)
		throw new XmlRpcError('expected <' + what + '>, found <' +
			kids[0].localName + '>');
	return kids[0];
}

function decodeValue(valueEl, depth) {
	if (depth > MAX_DEPTH)
		throw new XmlRpcError('response nested too deeply');
	const kids = elementChildren(valueEl);
	if (kids.length === 0)
		return valueEl.textContent;	// untyped value is a string
	if (kids.length !== 1)
		throw new XmlRpcError('<value> with ' + kids.length + ' children');
	const t = kids[0];
	const text = t.textContent;
	switch (t.localName) {
	case 'i4':
	case 'int': {
		if (!/^\s*[-+]?\d+\s*$/.test(text))
			throw new XmlRpcError('bad <int>: ' + text);
		const n = Number(text);
		if (n < I4_MIN || n > I4_MAX)
			throw new XmlRpcError('<int> out of range: ' + text);
		return n;
	}
	case 'double': {
		const n = Number(text.trim());
		if (text.trim() === '' || Number.isNaN(n))
			throw new XmlRpcError('bad <double>: ' + text);
		return n;
	}
	case 'boolean':
		if (text.trim() === '1') return true;
		if (text.trim() === '0') return false;
		throw new XmlRpcError('bad <boolean>: ' + text);
	case 'string':
	case 'base64':
	case 'dateTime.iso8601':
		return text;
	case 'array': {
		const data = onlyChild(t, 'data');
		return elementChildren(data).map((v) => {
			if (v.localName !== 'value')
				throw new XmlRpcError('<' + v.localName + '> in <data>');
			return decodeValue(v, depth + 1);
		});
	}
	case 'struct': {
		const obj = Object.create(null);
		for (const m of elementChildren(t)) {
			if (m.localName !== 'member')
				throw new XmlRpcError('<' + m.localName + '> in <struct>');
			let name = null, val;
			for (const c of elementChildren(m)) {
				if (c.localName === 'name') name = c.textContent;
				else if (c.localName === 'value') val = decodeValue(c, depth + 1);
			}
			if (name === null || val === undefined)
				throw new XmlRpcError('<member> without name or value');
			obj[name] = val;
		}
		return obj;
	}
	default:
		throw new XmlRpcError('unsupported type <' + t.localName + '>');
	}
}

export function decodeResponse(text) {
	const doc = new DOMParser().parseFromString(text, 'text/xml');
	if (doc.getElementsByTagName('parsererror').length)
		throw new XmlRpcError('response is not well-formed XML');
	const root = doc.documentElement;
	if (root.localName !== 'methodResponse')
		throw new XmlRpcError('not a methodResponse: <' + root.localName + '>');
	const body = onlyChild(root, '*');
	if (body.localName === 'fault') {
		const f = decodeValue(onlyChild(body, 'value'), 1);
		if (typeof f !== 'object' || typeof f.faultCode !== 'number')
			throw new XmlRpcError('malformed fault');
		throw new XmlRpcFault(f.faultCode, String(f.faultString));
	}
	if (body.localName !== 'params')
		throw new XmlRpcError('unexpected <' + body.localName + '>');
	const param = onlyChild(body, 'param');
	return decodeValue(onlyChild(param, 'value'), 1);
}

export class Client {
	constructor(url) { this.url = url; }

	async call(method, ...params) {
		const body = encodeCall(method, params);
		let resp;
		try {
			resp = await fetch(this.url, {
				method: 'POST',
				headers: { 'Content-Type': 'text/xml; charset=utf-8' },
				body: body,
				credentials: 'same-origin',
				cache: 'no-store',
			});
		} catch (e) {
			throw new XmlRpcError('cannot reach ' + this.url + ': ' + e.message, 'rpc.unreachable',
				{ url: this.url, err: e.message });
		}
		const text = await resp.text();
		if (!resp.ok) {
			const status = resp.status + (resp.statusText ? ' ' + resp.statusText : '');
			throw new XmlRpcError(this.url + ' answered HTTP ' + status, 'rpc.http', { url: this.url, status });
		}
		return decodeResponse(text);
	}
}
