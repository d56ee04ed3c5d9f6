// SPDX-License-Identifier: GPL-2.0-or-later
// The Top panel (beside the table on a wide screen, above it otherwise):
// who fills the table.  After each view() answer
// it asks summary() for the top 20 groups of the same filters and snapshot
// (grouped by source, port, protocol, mark, ...; addresses aggregated by
// the prefix selectors; ordered by connections, bytes or rate) and draws
// them as horizontal bars.  Clicking a bar narrows the table to that group
// through the filter form (filters.js filterTo), so the form shows what is
// applied; a grouping the form cannot express says so and does not click.
// #top carries panel.js's [data-loads] and [data-busy].
import { $, el } from './dom.js';
import { state } from './state.js';
import { panelCall } from './panel.js';
import { bytes, rate, group, percent } from './format.js';
import { onView } from './view.js';
import { filterTo } from './filters.js';
import { t } from './i18n.js';

const LIMIT = 20;
const L4 = { icmp: 1, tcp: 6, udp: 17, dccp: 33, gre: 47, icmpv6: 58, sctp: 132, udplite: 136 };

// One row per group_by kind of summary() (its heading is i18n.js's
// 'top.t.' + kind): whether the prefix selectors apply, and the
// filter-form fields that select exactly one group (to), or why no filter
// does (none: a message key).  A key of "" (rows lacking
// the field) never filters.
const KINDS = {
	orig_src: { addr: true, to: (k) => ({ 'f-addrdir': 'src', 'f-addr': k }) },
	orig_dst: { addr: true, to: (k) => ({ 'f-addrdir': 'dst', 'f-addr': k }) },
	repl_src: { addr: true, to: (k) => ({ 'f-raddrdir': 'src', 'f-raddr': k }) },
	repl_dst: { addr: true, to: (k) => ({ 'f-raddrdir': 'dst', 'f-raddr': k }) },
	orig_port_src: { to: (k) => ({ 'f-portdir': 'orig_port_src', 'f-port': k }) },
	orig_port_dst: { to: (k) => ({ 'f-portdir': 'orig_port_dst', 'f-port': k }) },
	orig_l3proto: { to: (k) => (k === 'ipv4' ? { 'f-family': '2' } : k === 'ipv6' ? { 'f-family': '10' } : null) },
	orig_l4proto: { to: (k) => (L4[k] ? { 'f-proto': String(L4[k]) } : /^\d+$/.test(k) ? { 'f-proto': k } : null) },
	tcp_state: { to: (k) => ({ 'f-state': k }) },
	mark: { to: (k) => ({ 'f-mark': k }) },
	zone: { to: (k) => ({ 'f-zone': k }) },
	username: { to: (k) => ({ 'f-user': k }) },
	flags: { none: 'top.none.flags' },
};

// What a bar measures, and how its value reads.
const ORDERS = {
	connections: { of: (g) => g.connections, text: (g) => group(g.connections) + ' · ' + percent(g.share) },
	bytes: { of: (g) => g.bytes, text: (g) => bytes(g.bytes) },
	rate: { of: (g) => g.rate, text: (g) => rate(g.rate) },
};

let asked = null;	// the options of the newest summary() call

const summary = panelCall('top', 'summary', (res) => drawBars(res, KINDS[asked.group_by], asked), (text, gone) => {
	$('top-bars').textContent = '';
	$('top-foot').textContent = text;
	$('top-foot').className = 'panel-foot' + (gone ? '' : ' err');
}, (res) => {
	drawHeading(KINDS[asked.group_by], asked);
	drawBars(res, KINDS[asked.group_by], asked);
});

function options() {
	const o = { group_by: $('top-group').value, order_by: $('top-order').value, limit: LIMIT };
	if (KINDS[o.group_by].addr) {
		o.v4_prefix = Number($('top-v4').value);
		o.v6_prefix = Number($('top-v6').value);
	}
	return o;
}

function drawHeading(kind, o) {
	const h = $('top-title');
	h.textContent = t('top.t.' + o.group_by);
	if (kind.addr && (o.v4_prefix < 32 || o.v6_prefix < 128))
		h.append(el('span', 'sub', t('top.prefixes', { v4: o.v4_prefix, v6: o.v6_prefix })));
	if (kind.none) h.append(el('span', 'sub', t('top.noTableFilter')));
	$('top-sub').textContent = kind.none ? t('top.noClick', { why: t(kind.none) }) : t('top.click');
	$('top').dataset.clickable = kind.none ? '0' : '1';
	$('top-v4').disabled = $('top-v6').disabled = !kind.addr;
}

function loadTop() {
	asked = options();
	drawHeading(KINDS[asked.group_by], asked);
	summary(state.filters, asked);
}

function drawBars(res, kind, o) {
	const ol = $('top-bars');
	ol.textContent = '';
	const order = ORDERS[o.order_by];
	const groups = res.groups || [];
	const top = Math.max(0, ...groups.map(order.of));
	groups.forEach((g, i) => {
		const key = String(g.key);
		const label = key === '' ? t('top.noKey') : key;
		const fields = key !== '' && kind.to ? kind.to(key) : null;
		const li = el('li', 'bar-item');
		li.dataset.key = key;
		li.dataset.connections = String(g.connections);
		const b = el(fields ? 'button' : 'div', 'bar');
		if (fields) {
			b.type = 'button';
			b.tabIndex = i === 0 ? 0 : -1;	// one tab stop; arrows move (keyNav)
			b.setAttribute('aria-label', t('top.showOnly', { label, value: order.text(g) }));
			b.addEventListener('click', () => filterTo(fields));
		}
		b.title = t('top.tip', { label, conns: group(g.connections), pct: percent(g.share),
			bytes: bytes(g.bytes), obytes: bytes(g.orig_bytes), rbytes: bytes(g.repl_bytes),
			rate: rate(g.rate), orate: rate(g.orig_rate), rrate: rate(g.repl_rate) });
		const track = el('span', 'bar-track');
		const fill = el('span', 'bar-fill');
		fill.style.width = (top > 0 ? Math.max(0.5, order.of(g) / top * 100) : 0) + '%';
		track.append(fill);
		b.append(track, el('span', 'bar-key', label), el('span', 'bar-val', order.text(g)));
		li.append(b);
		ol.append(li);
	});
	if (groups.length === 0) ol.append(el('li', 'bar-empty', t('top.empty')));
	let foot = t('top.foot', { n: group(groups.length), total: group(res.groups_total), conns: group(res.total) });
	if (!res.accounting && o.order_by !== 'connections')
		foot += t('top.acctOff');
	$('top-foot').textContent = foot;
	$('top-foot').className = 'panel-foot';
}

// The bars are one tab stop: Up/Down/Home/End move between them.
function keyNav(ev) {
	const bars = [...$('top-bars').querySelectorAll('button.bar')];
	const i = bars.indexOf(document.activeElement);
	if (i < 0) return;
	const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: bars.length - 1 }[ev.key];
	if (to === undefined || to < 0 || to >= bars.length) return;
	ev.preventDefault();
	bars[i].tabIndex = -1;
	bars[to].tabIndex = 0;
	bars[to].focus();
}

export function initTop() {
	for (const id of ['top-group', 'top-v4', 'top-v6', 'top-order'])
		$(id).addEventListener('change', loadTop);
	$('top-bars').addEventListener('keydown', keyNav);
	onView(loadTop);
}
