// SPDX-License-Identifier: GPL-2.0-or-later
// The table's columns as one table: key (its heading is i18n.js's
// 'col.' + key, label(c)), the view() order_by key, how a
// row's fields read in the cell (and its tooltip and second line), which
// ones an operator edits.  A new column is one row here.
import { bytes, rate, duration, u32, group } from './format.js';
import { state } from './state.js';
import { t } from './i18n.js';

const PROTO = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre',
	58: 'icmpv6', 132: 'sctp', 136: 'udplite' };

// A row carries the IPv4 or the IPv6 form of each address.
function addr(r, dir, end) {
	return r[dir + '_ipv4_' + end] !== undefined ? r[dir + '_ipv4_' + end]
		: r[dir + '_ipv6_' + end] !== undefined ? r[dir + '_ipv6_' + end] : '';
}

function protoText(r) {
	const name = PROTO[r.orig_l4proto] || String(r.orig_l4proto);
	return name + (r.orig_l3proto === 10 && r.orig_l4proto !== 58 ? '6' : '');
}

const icmpText = (r) => (r.icmp_type !== undefined ? t('cell.icmp', { type: r.icmp_type, code: r.icmp_code }) +
	(r.icmp_id !== undefined ? t('cell.icmpId', { id: r.icmp_id }) : '') : '');

// NAT shows as a reply tuple that is not the original one reversed.
function natText(r) {
	const rs = addr(r, 'repl', 'src'), rd = addr(r, 'repl', 'dst');
	const os = addr(r, 'orig', 'src'), od = addr(r, 'orig', 'dst');
	const portsSwapped = r.repl_port_src === r.orig_port_dst && r.repl_port_dst === r.orig_port_src;
	if ((rs === od && rd === os && portsSwapped) || rs === '')
		return '';
	const ep = (a, p) => (p !== undefined ? (a.includes(':') ? '[' + a + ']:' : a + ':') + p : a);
	return t('cell.nat', { src: ep(rs, r.repl_port_src), dst: ep(rd, r.repl_port_dst) });
}

const port = (field) => (r) => (r[field] !== undefined ? r[field] : '');
const counter = (dir) => (r) => t('cell.counter', { bytes: group(r[dir + '_counter_bytes']),
	packets: group(r[dir + '_counter_packets']) });
const userText = (r) => (r.username !== undefined ? r.username
	: r.user_id !== undefined ? String(r.user_id) : '');

// firstDir: traffic columns sort biggest first on their first click.
const COLUMNS = [
	{ key: 'id', sort: 'id', num: true, get: (r) => r.id },
	{ key: 'proto', sort: 'orig_l4proto', get: protoText, sub: icmpText },
	{ key: 'src', sort: 'orig_src', cls: 'addr', get: (r) => addr(r, 'orig', 'src') },
	{ key: 'sport', sort: 'orig_port_src', num: true, get: port('orig_port_src') },
	{ key: 'dst', sort: 'orig_dst', cls: 'addr', get: (r) => addr(r, 'orig', 'dst'),
		sub: natText },
	{ key: 'dport', sort: 'orig_port_dst', num: true, get: port('orig_port_dst') },
	{ key: 'state', sort: 'tcp_state', get: (r) => r.tcp_state || r.sctp_state || '' },
	{ key: 'timeout', sort: 'timeout', num: true, edit: 'timeout',
		get: (r) => duration(r.timeout), title: (r) => t('cell.secs', { n: r.timeout }) },
	{ key: 'mark', sort: 'mark', num: true, edit: 'mark',
		get: (r) => String(u32(r.mark)), title: (r) => '0x' + u32(r.mark).toString(16) },
	{ key: 'user', sort: 'username', userCol: true, get: userText },
	{ key: 'obytes', sort: 'orig_counter_bytes', num: true, firstDir: 'desc',
		get: (r) => bytes(r.orig_counter_bytes), title: counter('orig') },
	{ key: 'rbytes', sort: 'repl_counter_bytes', num: true, firstDir: 'desc',
		get: (r) => bytes(r.repl_counter_bytes), title: counter('repl') },
	{ key: 'rate', sort: 'rate', num: true, firstDir: 'desc', get: (r) => rate(r.rate),
		title: (r) => t('cell.rates', { orig: rate(r.orig_rate), repl: rate(r.repl_rate) }) },
];

// A column's heading in the chosen language.
export const label = (c) => t('col.' + c.key);

// The user column only exists when the server maps marks to users
// (a uid_mask is configured): otherwise it would be empty on every row.
export const columns = () => COLUMNS.filter((c) => !c.userCol || state.showUser);

// Cells in a full-width row: the columns, plus selection and actions for
// an operator.
export const span = (operator) => columns().length + (operator ? 2 : 0);
