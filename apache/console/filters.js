// SPDX-License-Identifier: GPL-2.0-or-later
// The filter form above the table: reads and checks what was typed, turns
// it into view()'s filters struct, and says what is wrong next to the form.
// The server is the judge of values; the form only rejects what cannot be
// one.  filterTo() is how another panel (top.js) narrows the table: it sets
// form fields and applies the form, so the form always shows the filter.
import { $ } from './dom.js';
import { state, resetPage } from './state.js';
import { parseU32, toI4 } from './format.js';
import { load } from './view.js';
import { t } from './i18n.js';

// inputs that can be invalid
const CHECKED = ['f-addr', 'f-port', 'f-mark', 'f-zone', 'f-flags', 'f-raddr', 'f-rport', 'f-id'];

// conntrack -u's names (README, filters: flags); UNREPLIED is SEEN_REPLY clear.
export const FLAG_NAMES = ['ASSURED', 'SEEN_REPLY', 'UNREPLIED', 'FIXED_TIMEOUT', 'DYING', 'OFFLOAD',
	'SRC_NAT', 'DST_NAT', 'CONFIRMED'];
const ADDR = /^[0-9A-Fa-f:.\/]+$/;

// An address typed with a direction: any end (addr), or the original
// source or destination in the family the address is written in.
function addrFilter(a) {
	const dir = $('f-addrdir').value;
	if (dir === 'addr') return { addr: a };
	return { ['orig_ipv' + (a.includes(':') ? '6' : '4') + '_' + dir]: a };
}

// Each check returns the filters it adds, or an error under the input's id.
const TYPED = {
	'f-addr': (a) => (/^[0-9A-Fa-f:.\/]+$/.test(a) ? addrFilter(a)
		: t('filters.err.addr')),
	'f-port': (p) => (/^\d{1,5}$/.test(p) && Number(p) <= 65535 ? { [$('f-portdir').value]: Number(p) }
		: t('filters.err.port')),
	'f-mark': (m) => {
		// VALUE/MASK matches (mark & MASK) == VALUE; sent as the string
		const vm = m.split('/');
		if (vm.length === 2) {
			const v = parseU32(vm[0]), k = parseU32(vm[1]);
			return v !== null && k !== null ? { mark: '0x' + v.toString(16) + '/0x' + k.toString(16) }
				: t('filter.err.markmask');
		}
		const n = parseU32(m);
		return n !== null ? { mark: toI4(n) } : t('filters.err.mark');
	},
	'f-flags': (text) => {
		const names = text.toUpperCase().split(/[\s,]+/).filter(Boolean);
		const bad = names.filter((n) => !FLAG_NAMES.includes(n));
		return bad.length ? t('filter.err.flags', { bad: bad.join(', '), names: FLAG_NAMES.join(', ') })
			: { flags: [...new Set(names)].join(',') };
	},
	'f-raddr': (a) => (ADDR.test(a)
		? { ['repl_ipv' + (a.includes(':') ? '6' : '4') + '_' + $('f-raddrdir').value]: a }
		: t('filter.err.raddr')),
	'f-rport': (p) => (/^\d{1,5}$/.test(p) && Number(p) <= 65535 ? { [$('f-rportdir').value]: Number(p) }
		: t('filter.err.rport')),
	'f-id': (id) => (parseU32(id) !== null && /^\d+$/.test(id) ? { id: id } : t('filter.err.id')),
	'f-zone': (z) => (/^\d{1,5}$/.test(z) && Number(z) <= 65535 ? { zone: Number(z) }
		: t('filters.err.zone')),
};

function readFilters() {
	const f = {};
	const err = [];
	const proto = $('f-proto').value;
	if (proto) f.orig_l4proto = Number(proto);
	const fam = $('f-family').value;
	if (fam) f.orig_l3proto = Number(fam);
	for (const id of CHECKED) {
		$(id).removeAttribute('aria-invalid');
		const v = $(id).value.trim();
		if (!v) continue;
		const got = TYPED[id](v);
		if (typeof got === 'string') {
			err.push(got);
			$(id).setAttribute('aria-invalid', 'true');
		} else Object.assign(f, got);
	}
	const nat = $('f-nat').value;
	if (nat) f.nat = nat;
	const st = $('f-state').value;
	if (st) f.tcp_state = st;
	const u = $('f-user').value.trim();
	if (u) f.username = u;
	return { f, err };
}

function show(filters) {
	state.filters = filters;
	state.start = 0;
	resetPage();
	load();
}

function applyFilters(ev) {
	if (ev) ev.preventDefault();
	const { f, err } = readFilters();
	const fe = $('filter-error');
	if (err.length) {
		fe.textContent = err.join('. ') + '.';
		fe.hidden = false;
		return;
	}
	fe.hidden = true;
	fe.textContent = '';
	show(f);
}

// Reset clears the inputs after this event; read the form after that.
function clearFilters() {
	setTimeout(() => {
		for (const id of CHECKED) $(id).removeAttribute('aria-invalid');
		$('filter-error').hidden = true;
		show({});
	}, 0);
}

// Narrow the table: fields is {input id: value}; a select without that
// value gets it as an option (a protocol or state the list lacks).
export function filterTo(fields) {
	for (const [id, v] of Object.entries(fields)) {
		const e = $(id);
		if (e.tagName === 'SELECT' && ![...e.options].some((o) => o.value === v)) {
			const o = document.createElement('option');
			o.value = v;
			o.textContent = v;
			e.append(o);
		}
		e.value = v;
	}
	applyFilters();
}

// Show exactly one set of fields: every other input empty, every select
// at its first option, then apply (how the Expectations tab shows a master
// connection: {'f-id': id}).
export function filterOnly(fields) {
	for (const e of $('filters').elements) {
		if (e.tagName === 'INPUT') e.value = '';
		else if (e.tagName === 'SELECT') e.selectedIndex = 0;
	}
	filterTo(fields);
}

// A new language: the errors under the form are said again in it.
function redrawErrors() {
	if ($('filter-error').hidden) return;
	const err = CHECKED.filter((id) => $(id).getAttribute('aria-invalid') === 'true')
		.map((id) => TYPED[id]($(id).value.trim())).filter((x) => typeof x === 'string');
	$('filter-error').textContent = err.join('. ') + '.';
}

export function initFilters() {
	document.addEventListener('ctd-lang', redrawErrors);
	$('filters').addEventListener('submit', applyFilters);
	$('filters').addEventListener('reset', clearFilters);
}
