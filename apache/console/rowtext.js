// SPDX-License-Identifier: GPL-2.0-or-later
// A connection (a row of view(), an event, a preview's sample, an
// expectation's tuples) as short text: "tcp", "192.0.2.1:443",
// "[2001:db8::1]:53".  Pure functions over the row fields of the API.
const PROTO = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre',
	58: 'icmpv6', 132: 'sctp', 136: 'udplite' };

export const protoName = (p) => PROTO[p] || String(p === undefined ? '' : p);

// prefix 'orig', 'repl', 'master', 'mask'; end 'src' or 'dst'.
export function address(r, prefix, end) {
	const v4 = r[prefix + '_ipv4_' + end], v6 = r[prefix + '_ipv6_' + end];
	return v4 !== undefined ? String(v4) : v6 !== undefined ? String(v6) : '';
}

export function endpoint(r, prefix, end) {
	const a = address(r, prefix, end);
	const p = r[prefix + '_port_' + end];
	if (p === undefined) return a;
	return (a.includes(':') ? '[' + a + ']' : a) + ':' + p;
}

// An expectation's expected end: a part its mask leaves open reads "*"
// (mask_ipv4_src 0.0.0.0, mask_port_src 0).
export function expected(r, end) {
	const zero = (v) => v === undefined || /^(0\.0\.0\.0|::)$/.test(String(v));
	const m4 = r['mask_ipv4_' + end], m6 = r['mask_ipv6_' + end];
	const masked = (m4 !== undefined || m6 !== undefined) && zero(m4 !== undefined ? m4 : m6);
	const a = masked ? '*' : address(r, 'orig', end);
	const p = r['orig_port_' + end];
	if (p === undefined) return a;
	const port = r['mask_port_' + end] === 0 ? '*' : String(p);
	return (a.includes(':') ? '[' + a + ']' : a) + ':' + port;
}

// "tcp 192.0.2.2:45678 → 192.0.2.1:5555"
export const tuple = (r, prefix) => endpoint(r, prefix, 'src') + ' → ' + endpoint(r, prefix, 'dst');

// A filters struct as one line, "orig_ipv4_src=198.51.100.4, orig_port_dst=443".
export const filterText = (f) => Object.entries(f).map(([k, v]) => k + '=' + v).join(', ');

// On a narrow screen a row reads as a card of label/value lines (ctd.css
// td[data-label]): each cell of tr gets its column's header text.
export function labelCells(tr, table) {
	const ths = table.tHead.rows[0].cells;
	[...tr.cells].forEach((td, i) => {
		if (td.colSpan === 1 && ths[i]) td.dataset.label = ths[i].textContent;
	});
	return tr;
}
