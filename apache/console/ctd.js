// SPDX-License-Identifier: GPL-2.0-or-later
// ctd web console: one more XML-RPC client of /RPC2 (DESIGN §2).  Apache
// has already authenticated the browser, so login() needs no parameters;
// whoami() tells the role, and a viewer is never shown an action control.
// Only the current page is ever fetched (view with start/length), so the
// page costs the same on a 100k-entry table as on a 10-entry one.
// Every string from the server goes into the page through textContent.
'use strict';

(function () {
	const X = window.CtdXmlRpc;
	const $ = (id) => document.getElementById(id);
	const U32_MAX = 4294967295;
	const INTERVAL_MIN = 2, INTERVAL_MAX = 3600;

	const PROTO = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre',
		58: 'icmpv6', 132: 'sctp', 136: 'udplite' };

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

	const state = {
		client: new X.Client(document.body.dataset.rpc || '/RPC2'),
		session: null,
		user: '',
		role: '',
		operator: false,
		filters: {},
		orderBy: 'id',
		orderDir: 'asc',
		start: 0,
		length: 100,
		total: 0,
		rows: [],
		hasUser: false,
		showUser: false,
		selected: new Set(),	// ids selected on the current snapshot
		results: new Map(),	// id -> {ok, text}: shown next to the row
		killed: new Set(),
		editing: null,		// id whose row is in edit mode
		auto: false,
		interval: 10,
		timer: null,
		seq: 0,			// only the newest view answer is drawn
		loads: 0,		// finished view calls, in body[data-loads] for tests
		snapshotTime: 0,
		busy: 0,
	};

	// ---- formatting ---------------------------------------------------------

	function human(n, unit) {
		const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
		let v = Number(n) || 0, i = 0;
		while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
		const s = i === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0);
		return s + ' ' + units[i] + unit;
	}
	const bytes = (n) => human(n, 'B');
	const rate = (n) => human(n, 'B/s');

	function duration(s) {
		s = Math.max(0, Math.floor(Number(s) || 0));
		if (s < 60) return s + ' s';
		if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
		if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm';
		return Math.floor(s / 86400) + 'd ' + Math.floor(s % 86400 / 3600) + 'h';
	}

	const u32 = (n) => (Number(n) < 0 ? Number(n) + 4294967296 : Number(n));
	const group = (n) => Number(n).toLocaleString('en-US');

	function isoTime(unix) {
		const d = new Date(unix * 1000);
		const p = (x) => String(x).padStart(2, '0');
		return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' +
			p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
	}

	function faultText(e) {
		if (e instanceof X.XmlRpcFault) {
			const hint = FAULT_HINT[e.faultCode];
			return 'fault ' + e.faultCode + (hint ? ' (' + hint + ')' : '') + ': ' + e.faultString;
		}
		return e && e.message ? e.message : String(e);
	}

	// Parse a u32 as an administrator types it: decimal or 0x hex.
	function parseU32(text) {
		const t = String(text).trim();
		let n;
		if (/^0[xX][0-9a-fA-F]{1,8}$/.test(t)) n = parseInt(t, 16);
		else if (/^\d{1,10}$/.test(t)) n = Number(t);
		else return null;
		return n <= U32_MAX ? n : null;
	}
	// ctd reads a negative i4 for a u32 field as the unsigned value.
	const toI4 = (n) => (n > 2147483647 ? n - 4294967296 : n);

	function setStatus(text, kind) {
		const el = $('status');
		el.textContent = text || '';
		el.className = 'status' + (kind ? ' ' + kind : '');
	}

	// ---- RPC with one transparent re-login ---------------------------------

	async function login() {
		// Apache authenticated this request; ctd ignores the parameters.
		state.session = await state.client.call('login');
		const who = await state.client.call('whoami', state.session);
		state.user = String(who.user || '');
		state.role = String(who.role || '');
		// Anything but an explicit operator role gets the read-only page.
		state.operator = state.role === 'operator';
		drawWho();
	}

	// Calls that are safe to repeat on a fresh session (reads, settings) are
	// retried once after an expired session; kill/change are not, since their
	// ids belong to the old session's snapshot.
	async function rpc(method, params, retry) {
		try {
			return await state.client.call(method, state.session, ...params);
		} catch (e) {
			if (retry && e instanceof X.XmlRpcFault && e.faultCode === 2) {
				await login();
				if (state.auto)
					await state.client.call('set_autorefresh', state.session, state.interval);
				return state.client.call(method, state.session, ...params);
			}
			throw e;
		}
	}

	// ---- columns -------------------------------------------------------------

	function addr(r, dir, end) {
		return r[dir + '_ipv4_' + end] !== undefined ? r[dir + '_ipv4_' + end]
			: r[dir + '_ipv6_' + end] !== undefined ? r[dir + '_ipv6_' + end] : '';
	}

	function protoText(r) {
		const name = PROTO[r.orig_l4proto] || String(r.orig_l4proto);
		return name + (r.orig_l3proto === 10 && r.orig_l4proto !== 58 ? '6' : '');
	}

	// firstDir: traffic columns sort biggest first on their first click.
	const COLUMNS = [
		{ key: 'id', label: 'ID', sort: 'id', num: true, get: (r) => r.id },
		{ key: 'proto', label: 'Proto', sort: 'orig_l4proto', get: protoText,
			sub: (r) => (r.icmp_type !== undefined ? 'type ' + r.icmp_type + ' code ' +
				r.icmp_code + (r.icmp_id !== undefined ? ' id ' + r.icmp_id : '') : '') },
		{ key: 'src', label: 'Source', sort: 'orig_src', cls: 'addr', get: (r) => addr(r, 'orig', 'src') },
		{ key: 'sport', label: 'Sport', sort: 'orig_port_src', num: true,
			get: (r) => (r.orig_port_src !== undefined ? r.orig_port_src : '') },
		{ key: 'dst', label: 'Destination', sort: 'orig_dst', cls: 'addr', get: (r) => addr(r, 'orig', 'dst'),
			sub: natText },
		{ key: 'dport', label: 'Dport', sort: 'orig_port_dst', num: true,
			get: (r) => (r.orig_port_dst !== undefined ? r.orig_port_dst : '') },
		{ key: 'state', label: 'State', sort: 'tcp_state', get: (r) => r.tcp_state || '' },
		{ key: 'timeout', label: 'Timeout', sort: 'timeout', num: true, edit: 'timeout',
			get: (r) => duration(r.timeout), title: (r) => r.timeout + ' s' },
		{ key: 'mark', label: 'Mark', sort: 'mark', num: true, edit: 'mark',
			get: (r) => String(u32(r.mark)), title: (r) => '0x' + u32(r.mark).toString(16) },
		{ key: 'user', label: 'User', sort: 'username', userCol: true,
			get: (r) => (r.username !== undefined ? r.username : r.user_id !== undefined ? String(r.user_id) : '') },
		{ key: 'obytes', label: 'Bytes orig', sort: 'orig_counter_bytes', num: true, firstDir: 'desc',
			get: (r) => bytes(r.orig_counter_bytes),
			title: (r) => group(r.orig_counter_bytes) + ' bytes, ' + group(r.orig_counter_packets) + ' packets' },
		{ key: 'rbytes', label: 'Bytes reply', sort: 'repl_counter_bytes', num: true, firstDir: 'desc',
			get: (r) => bytes(r.repl_counter_bytes),
			title: (r) => group(r.repl_counter_bytes) + ' bytes, ' + group(r.repl_counter_packets) + ' packets' },
		{ key: 'rate', label: 'Rate', sort: 'rate', num: true, firstDir: 'desc', get: (r) => rate(r.rate),
			title: (r) => 'orig ' + rate(r.orig_rate) + ', reply ' + rate(r.repl_rate) },
	];

	// The user column only exists when the server maps marks to users
	// (a uid_mask is configured): otherwise it would be empty on every row.
	const columns = () => COLUMNS.filter((c) => !c.userCol || state.showUser);

	// NAT shows as a reply tuple that is not the original one reversed.
	function natText(r) {
		const rs = addr(r, 'repl', 'src'), rd = addr(r, 'repl', 'dst');
		const os = addr(r, 'orig', 'src'), od = addr(r, 'orig', 'dst');
		const portsSwapped = r.repl_port_src === r.orig_port_dst && r.repl_port_dst === r.orig_port_src;
		if ((rs === od && rd === os && portsSwapped) || rs === '')
			return '';
		const ep = (a, p) => (p !== undefined ? (a.includes(':') ? '[' + a + ']:' : a + ':') + p : a);
		return 'NAT: reply ' + ep(rs, r.repl_port_src) + ' → ' + ep(rd, r.repl_port_dst);
	}

	// ---- drawing ---------------------------------------------------------------

	function drawWho() {
		$('who').textContent = '';
		const u = document.createElement('strong');
		u.textContent = state.user || '(unknown user)';
		const r = document.createElement('span');
		r.className = 'role role-' + (state.operator ? 'operator' : 'viewer');
		r.id = 'role';
		r.textContent = state.role || 'viewer';
		$('who').append('Signed in as ', u, ' ', r);
		$('logout').hidden = false;
		for (const el of document.querySelectorAll('.operator-only'))
			el.hidden = !state.operator;
	}

	function drawHead() {
		const tr = $('head');
		tr.textContent = '';
		if (state.operator) {
			const th = document.createElement('th');
			th.className = 'sel';
			const cb = document.createElement('input');
			cb.type = 'checkbox';
			cb.id = 'select-all';
			cb.setAttribute('aria-label', 'Select all rows on this page');
			const live = state.rows.filter((r) => !state.killed.has(r.id));
			cb.checked = live.length > 0 && live.every((r) => state.selected.has(r.id));
			cb.indeterminate = !cb.checked && live.some((r) => state.selected.has(r.id));
			cb.disabled = live.length === 0;
			cb.addEventListener('change', () => {
				for (const r of live) {
					if (cb.checked) state.selected.add(r.id);
					else state.selected.delete(r.id);
				}
				drawBody();
				drawHead();
			});
			th.append(cb);
			tr.append(th);
		}
		for (const c of columns()) {
			const th = document.createElement('th');
			th.scope = 'col';
			th.dataset.col = c.key;
			if (c.num) th.className = 'num';
			// Sorting by username is only offered when the server sends it
			// (a uid_mask is configured); otherwise the field does not exist.
			const sortable = !c.userCol || state.hasUser;
			if (sortable) {
				const b = document.createElement('button');
				b.type = 'button';
				b.className = 'sort';
				b.dataset.sort = c.sort;
				b.textContent = c.label;
				const active = state.orderBy === c.sort;
				th.setAttribute('aria-sort', active ? (state.orderDir === 'asc' ? 'ascending' : 'descending') : 'none');
				const arrow = document.createElement('span');
				arrow.className = 'arrow';
				arrow.setAttribute('aria-hidden', 'true');
				arrow.textContent = active ? (state.orderDir === 'asc' ? ' ▲' : ' ▼') : '';
				b.append(arrow);
				b.title = 'Sort by ' + c.sort;
				b.addEventListener('click', () => {
					if (state.orderBy === c.sort)
						state.orderDir = state.orderDir === 'asc' ? 'desc' : 'asc';
					else { state.orderBy = c.sort; state.orderDir = c.firstDir || 'asc'; }
					state.start = 0;
					resetPageState();
					load({ focusSort: c.sort });
				});
				th.append(b);
			} else {
				th.textContent = c.label;
			}
			tr.append(th);
		}
		if (state.operator) {
			const th = document.createElement('th');
			th.textContent = 'Actions';
			th.className = 'actions';
			tr.append(th);
		}
	}

	function cell(tr, c, r) {
		const td = document.createElement('td');
		td.dataset.col = c.key;
		td.dataset.label = c.label;
		if (c.num) td.classList.add('num');
		if (c.cls) td.classList.add(c.cls);
		if (c.edit && state.editing === r.id) {
			const inp = document.createElement('input');
			inp.type = 'text';
			inp.className = 'edit';
			inp.dataset.field = c.edit;
			inp.inputMode = 'numeric';
			inp.size = 10;
			inp.value = c.edit === 'mark' ? String(u32(r.mark)) : String(r.timeout);
			inp.dataset.orig = inp.value;
			inp.setAttribute('aria-label', (c.edit === 'mark' ? 'Mark' : 'Timeout in seconds') + ' of connection ' + r.id);
			inp.addEventListener('keydown', (ev) => {
				if (ev.key === 'Enter') { ev.preventDefault(); saveEdit(r); }
				else if (ev.key === 'Escape') { ev.preventDefault(); cancelEdit(r.id); }
			});
			td.append(inp);
			return td;
		}
		const main = document.createElement('span');
		main.className = 'v';
		main.textContent = String(c.get(r));
		td.append(main);
		if (c.title) td.title = c.title(r);
		const sub = c.sub ? c.sub(r) : '';
		if (sub) {
			const s = document.createElement('span');
			s.className = 'subline';
			s.textContent = sub;
			td.append(s);
		}
		return td;
	}

	function button(text, cls, onclick, label) {
		const b = document.createElement('button');
		b.type = 'button';
		b.textContent = text;
		if (cls) b.className = cls;
		if (label) b.setAttribute('aria-label', label);
		b.addEventListener('click', onclick);
		return b;
	}

	function drawBody() {
		const tbody = $('rows');
		tbody.textContent = '';
		if (state.rows.length === 0) {
			const tr = document.createElement('tr');
			const td = document.createElement('td');
			td.colSpan = columns().length + (state.operator ? 2 : 0);
			td.className = 'empty';
			td.textContent = state.total > 0 ? 'No rows on this page.' : 'No connections match.';
			tr.append(td);
			tbody.append(tr);
			return;
		}
		for (const r of state.rows) {
			const tr = document.createElement('tr');
			tr.dataset.id = r.id;
			const killed = state.killed.has(r.id);
			if (killed) tr.classList.add('killed');
			if (state.selected.has(r.id)) tr.classList.add('selected');
			if (state.operator) {
				const td = document.createElement('td');
				td.className = 'sel';
				const cb = document.createElement('input');
				cb.type = 'checkbox';
				cb.className = 'select';
				cb.checked = state.selected.has(r.id);
				cb.disabled = killed;
				cb.setAttribute('aria-label', 'Select connection ' + r.id);
				cb.addEventListener('change', () => {
					if (cb.checked) state.selected.add(r.id);
					else state.selected.delete(r.id);
					tr.classList.toggle('selected', cb.checked);
					drawBulk();
					drawHead();
				});
				td.append(cb);
				tr.append(td);
			}
			for (const c of columns())
				tr.append(cell(tr, c, r));
			if (state.operator) {
				const td = document.createElement('td');
				td.className = 'actions';
				td.dataset.label = 'Actions';
				if (state.editing === r.id) {
					td.append(button('Save', 'save', () => saveEdit(r), 'Save mark and timeout of connection ' + r.id),
						button('Cancel', 'secondary cancel', () => cancelEdit(r.id), 'Cancel editing connection ' + r.id));
				} else if (!killed) {
					td.append(button('Kill', 'danger kill', () => confirmKill([r.id]), 'Kill connection ' + r.id),
						button('Edit', 'secondary editbtn', () => startEdit(r.id), 'Edit mark and timeout of connection ' + r.id));
				}
				tr.append(td);
			}
			tbody.append(tr);
			if (state.results.has(r.id))
				tbody.append(resultRow(r.id));
		}
	}

	// The result of an action sits in a line of its own right under its row,
	// so a long fault string never squeezes the table's columns.
	function resultRow(id) {
		const res = state.results.get(id);
		const tr = document.createElement('tr');
		tr.className = 'result-row';
		tr.dataset.for = id;
		const td = document.createElement('td');
		td.colSpan = columns().length + (state.operator ? 2 : 0);
		const span = document.createElement('span');
		span.className = 'result ' + (res.ok ? 'ok' : 'err');
		span.setAttribute('role', 'status');
		span.textContent = 'Connection ' + id + ': ' + res.text;
		td.append(span);
		tr.append(td);
		return tr;
	}

	function drawBulk() {
		const n = [...state.selected].filter((id) => !state.killed.has(id)).length;
		const b = $('kill-selected');
		b.textContent = 'Kill selected (' + n + ')';
		b.disabled = n === 0;
	}

	function drawPager() {
		const len = state.length;
		const first = state.total === 0 ? 0 : state.start + 1;
		const last = Math.min(state.start + state.rows.length, state.total);
		const page = Math.floor(state.start / len) + 1;
		const pages = Math.max(1, Math.ceil(state.total / len));
		$('pageinfo').textContent = (state.rows.length ? group(first) + '–' + group(last) : '0') +
			' of ' + group(state.total) + ' · page ' + group(page) + ' of ' + group(pages);
		$('first').disabled = $('prev').disabled = state.start === 0;
		$('next').disabled = $('last').disabled = state.start + len >= state.total;
	}

	function drawSnapshot(res) {
		state.snapshotTime = res.snapshot_time;
		const t = $('snapshot');
		t.textContent = 'Snapshot ' + isoTime(res.snapshot_time) +
			(res.interval > 0 ? ' · rates over ' + res.interval.toFixed(1) + ' s' : ' · no rate interval yet') +
			(state.auto ? ' · auto-refresh every ' + state.interval + ' s' : ' · stable (auto-refresh off)');
		t.dataset.time = String(res.snapshot_time);
		const a = $('accounting');
		a.textContent = res.accounting ? 'Byte accounting: on'
			: 'Byte accounting: off — counters and rates read 0 (sysctl net.netfilter.nf_conntrack_acct=1)';
		a.className = 'acct ' + (res.accounting ? 'on' : 'off');
		a.dataset.on = res.accounting ? '1' : '0';
	}

	function drawAll() {
		state.hasUser = state.rows.some((r) => r.username !== undefined);
		state.showUser = state.hasUser || state.rows.some((r) => r.user_id !== undefined);
		drawHead();
		drawBody();
		drawPager();
		drawBulk();
	}

	// ---- loading ---------------------------------------------------------------

	function resetPageState() {
		state.selected.clear();
		state.results.clear();
		state.killed.clear();
		state.editing = null;
	}

	async function load(opts) {
		opts = opts || {};
		const seq = ++state.seq;
		document.body.classList.add('loading');
		try {
			const res = await rpc('view', [state.filters, state.orderBy, state.orderDir,
				state.start, state.length], true);
			if (seq !== state.seq) return;	// a newer request went out meanwhile
			// Paged past the end (entries left since): step back to the last page.
			if (res.table.length === 0 && res.total > 0 && state.start > 0 && !opts.noStepBack) {
				state.start = Math.floor((res.total - 1) / state.length) * state.length;
				return load({ noStepBack: true });
			}
			state.total = res.total;
			state.start = res.start;
			state.rows = res.table;
			drawSnapshot(res);
			drawAll();
			if (!opts.quiet) setStatus('');
			if (opts.focusSort) {
				const b = document.querySelector('button.sort[data-sort="' + opts.focusSort + '"]');
				if (b) b.focus();
			}
		} catch (e) {
			if (seq !== state.seq) return;
			setStatus('Could not load the table: ' + faultText(e), 'err');
		} finally {
			if (seq === state.seq) {
				document.body.classList.remove('loading');
				document.body.dataset.loads = String(++state.loads);
			}
		}
	}

	// ---- filters -------------------------------------------------------------

	function readFilters() {
		const f = {};
		const err = [];
		const proto = $('f-proto').value;
		if (proto) f.orig_l4proto = Number(proto);
		const fam = $('f-family').value;
		if (fam) f.orig_l3proto = Number(fam);
		const a = $('f-addr').value.trim();
		if (a) {
			// The server is the judge of addresses; only reject what cannot be one.
			if (!/^[0-9A-Fa-f:.\/]+$/.test(a)) err.push('Address: use a dotted quad, an IPv6 address or a CIDR');
			else f.addr = a;
		}
		const p = $('f-port').value.trim();
		if (p) {
			if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) err.push('Port: a number from 0 to 65535');
			else f[$('f-portdir').value] = Number(p);
		}
		const m = $('f-mark').value.trim();
		if (m) {
			const n = parseU32(m);
			if (n === null) err.push('Mark: a number from 0 to 4294967295 (or 0x hex)');
			else f.mark = toI4(n);
		}
		const st = $('f-state').value;
		if (st) f.tcp_state = st;
		const u = $('f-user').value.trim();
		if (u) f.username = u;
		for (const id of ['f-addr', 'f-port', 'f-mark'])
			$(id).removeAttribute('aria-invalid');
		if (err.length) {
			for (const e of err) {
				const id = e.startsWith('Address') ? 'f-addr' : e.startsWith('Port') ? 'f-port' : 'f-mark';
				$(id).setAttribute('aria-invalid', 'true');
			}
		}
		return { f, err };
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
		state.filters = f;
		state.start = 0;
		resetPageState();
		load();
	}

	// ---- paging ----------------------------------------------------------------

	function goPage(start) {
		state.start = Math.max(0, start);
		resetPageState();
		load();
	}

	// ---- auto-refresh ----------------------------------------------------------

	function readInterval() {
		const n = Number($('interval').value);
		if (!Number.isInteger(n) || n < INTERVAL_MIN || n > INTERVAL_MAX) {
			$('interval').setAttribute('aria-invalid', 'true');
			setStatus('Interval: a whole number of seconds from ' + INTERVAL_MIN + ' to ' + INTERVAL_MAX + '.', 'err');
			return null;
		}
		$('interval').removeAttribute('aria-invalid');
		return n;
	}

	async function setAuto() {
		const on = $('auto').checked;
		let secs = 0;
		if (on) {
			secs = readInterval();
			if (secs === null) { $('auto').checked = false; return; }
		}
		try {
			await rpc('set_autorefresh', [secs], true);
		} catch (e) {
			$('auto').checked = state.auto;
			setStatus('Could not change auto-refresh: ' + faultText(e), 'err');
			return;
		}
		state.auto = on;
		if (on) state.interval = secs;
		if (state.timer) { clearInterval(state.timer); state.timer = null; }
		if (on) state.timer = setInterval(tick, state.interval * 1000);
		setStatus(on ? 'Auto-refresh on: the table re-reads the kernel every ' + secs + ' s.'
			: 'Auto-refresh off: pages come from one stable snapshot.', 'ok');
		load({ quiet: true });
	}

	function tick() {
		// Never redraw under an administrator who is typing a new value, nor
		// while a confirmation is open for rows that would shift under it.
		if (state.editing !== null || $('confirm').open || state.busy) return;
		load({ quiet: true });
	}

	// ---- kill ------------------------------------------------------------------

	function confirmKill(ids) {
		ids = ids.filter((id) => !state.killed.has(id));
		if (ids.length === 0) return;
		const dlg = $('confirm');
		const n = ids.length;
		$('confirm-title').textContent = n === 1 ? 'Kill 1 connection?' : 'Kill ' + n + ' connections?';
		$('confirm-text').textContent = n === 1
			? 'Connection ' + ids[0] + ' will be removed from the kernel\'s table. Its packets are then treated as new.'
			: 'The ' + n + ' selected connections will be removed from the kernel\'s table.';
		$('confirm-ok').textContent = n === 1 ? 'Kill 1 connection' : 'Kill ' + n + ' connections';
		const opener = document.activeElement;
		dlg.returnValue = '';
		dlg.onclose = () => {
			dlg.onclose = null;
			if (dlg.returnValue === 'ok') doKill(ids);
			else if (opener && opener.isConnected) opener.focus();
		};
		dlg.showModal();
		$('confirm-cancel').focus();
	}

	async function doKill(ids) {
		state.busy++;
		setStatus('Killing ' + ids.length + (ids.length === 1 ? ' connection…' : ' connections…'));
		try {
			const n = await rpc('kill', [ids], false);
			for (const id of ids) {
				state.killed.add(id);
				state.selected.delete(id);
				state.results.set(id, { ok: true, text: ids.length === 1 ? (n === 1 ? 'killed' : 'already gone') : 'killed' });
			}
			setStatus('Killed ' + n + ' of ' + ids.length + (ids.length === 1 ? ' connection' : ' connections') +
				(n < ids.length ? ' (the others had already left the kernel)' : '') +
				'. Refresh to read the table again.', 'ok');
		} catch (e) {
			const t = faultText(e);
			for (const id of ids) state.results.set(id, { ok: false, text: t });
			setStatus('Kill failed, nothing was killed: ' + t, 'err');
		} finally {
			state.busy--;
		}
		drawBody();
		drawHead();
		drawBulk();
		const first = document.querySelector('#rows tr.result-row[data-for="' + ids[0] + '"] .result');
		if (first) {
			first.setAttribute('tabindex', '-1');
			first.focus();
		}
	}

	// ---- inline edit -------------------------------------------------------------

	function startEdit(id) {
		state.editing = id;
		state.results.delete(id);
		drawBody();
		const inp = document.querySelector('#rows tr[data-id="' + id + '"] input.edit[data-field="mark"]');
		if (inp) { inp.focus(); inp.select(); }
	}

	function cancelEdit(id) {
		state.editing = null;
		drawBody();
		const b = document.querySelector('#rows tr[data-id="' + id + '"] button.editbtn');
		if (b) b.focus();
	}

	function rowResult(id, ok, text) {
		state.results.set(id, { ok, text });
		const row = document.querySelector('#rows tr[data-id="' + id + '"]');
		const old = document.querySelector('#rows tr.result-row[data-for="' + id + '"]');
		if (old) old.remove();
		if (row) row.after(resultRow(id));
	}

	async function saveEdit(r) {
		const tr = document.querySelector('#rows tr[data-id="' + r.id + '"]');
		const inputs = tr ? [...tr.querySelectorAll('input.edit')] : [];
		const changes = [];
		const errs = [];
		for (const inp of inputs) {
			inp.removeAttribute('aria-invalid');
			if (inp.value.trim() === inp.dataset.orig) continue;
			const n = parseU32(inp.value);
			const field = inp.dataset.field;
			if (n === null) {
				errs.push(field + ' must be a number from 0 to 4294967295' + (field === 'mark' ? ' (or 0x hex)' : ' seconds'));
				inp.setAttribute('aria-invalid', 'true');
			} else if (field === 'timeout' && n < 1) {
				errs.push('timeout must be at least 1 second');
				inp.setAttribute('aria-invalid', 'true');
			} else {
				changes.push({ field, value: n });
			}
		}
		if (errs.length) {
			rowResult(r.id, false, 'Not saved: ' + errs.join('; '));
			const bad = tr.querySelector('input[aria-invalid="true"]');
			if (bad) bad.focus();
			return;
		}
		if (changes.length === 0) { cancelEdit(r.id); return; }
		state.busy++;
		const done = [];
		let failure = null;
		try {
			for (const c of changes) {
				await rpc('change', [c.field, r.id, toI4(c.value)], false);
				done.push(c);
				if (c.field === 'mark') r.mark = toI4(c.value);
				else r.timeout = c.value;
			}
		} catch (e) {
			failure = faultText(e);
		} finally {
			state.busy--;
		}
		const what = done.map((c) => c.field + ' = ' + (c.field === 'mark' ? c.value : c.value + ' s')).join(', ');
		state.editing = failure ? r.id : null;
		if (failure)
			state.results.set(r.id, { ok: false, text: (what ? 'set ' + what + '; then ' : '') + failure });
		else
			state.results.set(r.id, { ok: true, text: 'set ' + what });
		drawBody();
		const again = document.querySelector('#rows tr[data-id="' + r.id + '"] ' + (failure ? 'input.edit' : 'button.editbtn'));
		if (again) again.focus();
	}

	// ---- logout ------------------------------------------------------------------

	async function logout() {
		if (state.timer) { clearInterval(state.timer); state.timer = null; }
		try { await state.client.call('logout', state.session); } catch (e) { /* gone already */ }
		state.session = null;
		document.body.classList.add('logged-out');
		$('who').textContent = 'Logged out of ctd. The browser still holds its HTTP credentials; close it to forget them.';
		$('logout').hidden = true;
		const again = button('Log in again', '', () => location.reload());
		$('who').append(' ', again);
		again.focus();
	}

	// ---- start -------------------------------------------------------------------

	function wire() {
		$('filters').addEventListener('submit', applyFilters);
		$('filters').addEventListener('reset', () => {
			setTimeout(() => {
				for (const id of ['f-addr', 'f-port', 'f-mark']) $(id).removeAttribute('aria-invalid');
				$('filter-error').hidden = true;
				state.filters = {};
				state.start = 0;
				resetPageState();
				load();
			}, 0);
		});
		$('refresh').addEventListener('click', async () => {
			try {
				await rpc('refresh', [], true);
			} catch (e) {
				setStatus('Could not refresh: ' + faultText(e), 'err');
				return;
			}
			resetPageState();
			load();
		});
		$('auto').addEventListener('change', setAuto);
		$('interval').addEventListener('change', () => { if (state.auto) setAuto(); });
		$('first').addEventListener('click', () => goPage(0));
		$('prev').addEventListener('click', () => goPage(state.start - state.length));
		$('next').addEventListener('click', () => goPage(state.start + state.length));
		$('last').addEventListener('click', () =>
			goPage(Math.max(0, Math.floor((state.total - 1) / state.length) * state.length)));
		$('pagesize').addEventListener('change', () => {
			state.length = Number($('pagesize').value);
			goPage(Math.floor(state.start / state.length) * state.length);
		});
		$('kill-selected').addEventListener('click', () => confirmKill([...state.selected]));
		$('logout').addEventListener('click', logout);
	}

	async function start() {
		wire();
		state.length = Number($('pagesize').value);
		try {
			await login();
		} catch (e) {
			$('who').textContent = 'Not signed in';
			setStatus('Could not open a ctd session: ' + faultText(e), 'err');
			return;
		}
		// A new session starts with auto-refresh off (stable snapshot).
		await load();
		document.body.classList.add('ready');
	}

	start();
})();
