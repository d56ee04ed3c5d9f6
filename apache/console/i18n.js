// SPDX-License-Identifier: GPL-2.0-or-later
// The console's words, in one table: every string the page shows is a key
// here, in English and French.  t(key, {name: value}) gives the string in
// the chosen language with {name} replaced (falling back to English, then
// to the key itself, so a missing translation shows, never breaks).  The
// language comes from the browser's (navigator.languages) unless the
// visible switch chose one, which is kept across reloads (localStorage).
// Numbers and dates are formatted for the chosen language (Intl).
//
// Each panel keeps its keys in its own section below, in both languages.
const MESSAGES = {
	en: {
		// -- page
		'lang.name': 'English',
		// -- kill matching
		// the tab bar (tabs.js)
		'tabs.label': 'Views',
		'tabs.conns': 'Connections',
		'tabs.live': 'Live',
		'tabs.expect': 'Expectations',
		'tabs.audit': 'Audit',
		// filter fields the kill acts through (filters.js)
		'filter.flags': 'Flags',
		'filter.flags.placeholder': 'ASSURED,UNREPLIED',
		'filter.nat': 'NAT',
		'filter.nat.all': 'all',
		'filter.nat.src': 'source NAT',
		'filter.nat.dst': 'destination NAT',
		'filter.nat.any': 'any NAT',
		'filter.nat.none': 'no NAT',
		'filter.raddr': 'Reply address',
		'filter.raddr.dir': 'Reply address direction',
		'filter.rport': 'Reply port',
		'filter.rport.dir': 'Reply port direction',
		'filter.id': 'Connection ID',
		'filter.err.markmask': 'Mark/mask: two numbers from 0 to 4294967295 (or 0x hex), as VALUE/MASK',
		'filter.err.flags': 'Flags: {bad} unknown; use {names}',
		'filter.err.raddr': 'Reply address: use a dotted quad, an IPv6 address or a CIDR',
		'filter.err.rport': 'Reply port: a number from 0 to 65535',
		'filter.err.id': 'Connection ID: a number from 0 to 4294967295',
		// the dialog (killall.js)
		'killall.button': 'Kill all matching…',
		'killall.title': 'Kill all matching connections',
		'killall.titlen': 'Kill {n} matching connections?',
		'killall.titledone': 'Kill all matching: done',
		'killall.filter': 'Filter: {filter}',
		'killall.left': 'this preview stands {s} s more',
		'killall.nofilter': 'No filter is applied. ctd never kills every connection: narrow the table with the filters first.',
		'killall.asking': 'Counting what the filter matches…',
		'killall.matched': '{n} connections match this filter. Exactly these are killed, none that appears later.',
		'killall.none': 'No connection matches this filter: nothing to kill.',
		'killall.ambiguous': '{n} of them share their ID with another connection and are left alone.',
		'killall.sources': 'Top sources',
		'killall.destinations': 'Top destinations',
		'killall.sample': 'Sample',
		'killall.samplen': 'Sample: {shown} of {n}',
		'killall.cancel': 'Cancel',
		'killall.close': 'Close',
		'killall.again': 'Preview again',
		'killall.ok': 'Kill {n} connections',
		'killall.killing': 'Killing…',
		'killall.result': 'Done: {destroyed} destroyed, {gone} already gone, {ambiguous} left alone (ID shared).',
		'killall.failed': 'Nothing was killed: {fault}',
		'killall.previewfailed': 'Could not preview: {fault}',
		'killall.expired': 'This preview has expired: nothing was killed. Preview again to see what matches now.',
		'killall.missing': 'Not available: this server has no kill_preview() method.',
		// -- audit
		'audit.user': 'User',
		'audit.action': 'Action',
		'audit.action.all': 'all',
		'audit.result': 'Result',
		'audit.apply': 'Apply',
		'audit.reload': 'Reload',
		'audit.caption': 'Audit log, newest first',
		'audit.col.time': 'Time',
		'audit.col.user': 'User',
		'audit.col.from': 'From',
		'audit.col.action': 'Action',
		'audit.col.id': 'ID',
		'audit.col.tuple': 'Connection',
		'audit.col.change': 'Change',
		'audit.col.result': 'Result',
		'audit.col.message': 'Message',
		'audit.pages': 'Audit pages',
		'audit.prev': '‹ Newer',
		'audit.next': 'Older ›',
		'audit.page': '{first}–{last} of {total}',
		'audit.empty': '0 of {total}',
		'audit.none': 'No action recorded matches.',
		'audit.missing': 'Not available: this server has no audit() method.',
		'audit.failed': 'Could not read the audit log: {fault}',
		// -- live
		'live.pause': 'Pause',
		'live.resume': 'Resume',
		'live.clear': 'Clear',
		'live.caption': 'Connections opened and closed, newest first',
		'live.col.time': 'Time',
		'live.col.event': 'Event',
		'live.col.id': 'ID',
		'live.col.proto': 'Proto',
		'live.col.src': 'Source',
		'live.col.dst': 'Destination',
		'live.col.state': 'State',
		'live.col.bytes': 'Final bytes',
		'live.new': 'opened',
		'live.destroy': 'closed',
		'live.update': 'updated',
		'live.watching': 'Watching (the table\'s filter applies)',
		'live.paused': 'Paused',
		'live.hidden': 'Stopped while the page is hidden',
		'live.stopped': 'Stopped',
		'live.rate': '{n} events/s',
		'live.gaps': '{windows} windows · {gap} s not watched between them (last {last} ms)',
		'live.lost': 'The kernel dropped {n} events (its buffer overflowed): this feed is incomplete. The table will be read afresh.',
		'live.more': 'More than {max} events in one window: the next window follows at once.',
		'live.sysctl': 'net.netfilter.nf_conntrack_events is {v}, not 1: the kernel may not report the close of connections that began before this feed.',
		'live.noacct': 'Byte accounting is off: closed connections show no final bytes (sysctl net.netfilter.nf_conntrack_acct=1).',
		'live.bytes': 'original {orig}, reply {repl}',
		'live.notwatched': 'Not watched from {from} to {to} ({s} s): events of that time are not shown.',
		'live.missing': 'Not available: this server has no events() method.',
		'live.failed': 'Could not read events: {fault}. Trying again…',
		// -- expectations
		'expect.refresh': 'Refresh',
		'expect.caption': 'Expected connections',
		'expect.col.id': 'ID',
		'expect.col.helper': 'Helper',
		'expect.col.proto': 'Proto',
		'expect.col.expected': 'Expected connection',
		'expect.col.master': 'Master connection',
		'expect.col.timeout': 'Timeout',
		'expect.col.zone': 'Zone',
		'expect.col.actions': 'Actions',
		'expect.count': '{n} expectations',
		'expect.none': 'No expectation: no helper announced a connection.',
		'expect.showmaster': 'Show connection {id} in the table',
		'expect.kill': 'Kill',
		'expect.killlabel': 'Kill expectation {id}',
		'expect.confirmtitle': 'Kill expectation {id}?',
		'expect.confirmtext': 'The {helper} helper\'s expectation of {tuple} is removed: that connection will no longer be let in as related.',
		'expect.killed': 'Expectation {id} killed.',
		'expect.gone': 'Expectation {id} had already gone.',
		'expect.killfailed': 'Kill failed, nothing was killed: {fault}',
		'expect.missing': 'Not available: this server has no expectations() method.',
		'expect.failed': 'Could not read the expectations: {fault}',
		// -- export
	},
	fr: {
		// -- page
		'lang.name': 'Français',
		// -- kill matching
		// the tab bar (tabs.js)
		'tabs.label': 'Vues',
		'tabs.conns': 'Connexions',
		'tabs.live': 'En direct',
		'tabs.expect': 'Attentes',
		'tabs.audit': 'Journal',
		// filter fields the kill acts through (filters.js)
		'filter.flags': 'Drapeaux',
		'filter.flags.placeholder': 'ASSURED,UNREPLIED',
		'filter.nat': 'NAT',
		'filter.nat.all': 'toutes',
		'filter.nat.src': 'NAT source',
		'filter.nat.dst': 'NAT destination',
		'filter.nat.any': 'NAT quelconque',
		'filter.nat.none': 'sans NAT',
		'filter.raddr': 'Adresse de retour',
		'filter.raddr.dir': 'Sens de l\'adresse de retour',
		'filter.rport': 'Port de retour',
		'filter.rport.dir': 'Sens du port de retour',
		'filter.id': 'ID de connexion',
		'filter.err.markmask': 'Marque/masque : deux nombres de 0 à 4294967295 (ou 0x hexadécimal), sous la forme VALEUR/MASQUE',
		'filter.err.flags': 'Drapeaux : {bad} inconnu ; utilisez {names}',
		'filter.err.raddr': 'Adresse de retour : une adresse IPv4 pointée, IPv6 ou un CIDR',
		'filter.err.rport': 'Port de retour : un nombre de 0 à 65535',
		'filter.err.id': 'ID de connexion : un nombre de 0 à 4294967295',
		// the dialog (killall.js)
		'killall.button': 'Tuer toutes celles qui correspondent…',
		'killall.title': 'Tuer toutes les connexions qui correspondent',
		'killall.titlen': 'Tuer les {n} connexions qui correspondent ?',
		'killall.titledone': 'Tuer toutes celles qui correspondent : terminé',
		'killall.filter': 'Filtre : {filter}',
		'killall.left': 'cet aperçu reste valable {s} s',
		'killall.nofilter': 'Aucun filtre n\'est appliqué. ctd ne tue jamais toutes les connexions : restreignez d\'abord la table avec les filtres.',
		'killall.asking': 'Décompte de ce que le filtre retient…',
		'killall.matched': '{n} connexions correspondent à ce filtre. Ce sont exactement celles-ci qui seront tuées, aucune apparue ensuite.',
		'killall.none': 'Aucune connexion ne correspond à ce filtre : rien à tuer.',
		'killall.ambiguous': '{n} d\'entre elles partagent leur ID avec une autre connexion et sont épargnées.',
		'killall.sources': 'Principales sources',
		'killall.destinations': 'Principales destinations',
		'killall.sample': 'Échantillon',
		'killall.samplen': 'Échantillon : {shown} sur {n}',
		'killall.cancel': 'Annuler',
		'killall.close': 'Fermer',
		'killall.again': 'Nouvel aperçu',
		'killall.ok': 'Tuer {n} connexions',
		'killall.killing': 'Suppression en cours…',
		'killall.result': 'Terminé : {destroyed} détruites, {gone} déjà parties, {ambiguous} épargnées (ID partagé).',
		'killall.failed': 'Rien n\'a été tué : {fault}',
		'killall.previewfailed': 'Aperçu impossible : {fault}',
		'killall.expired': 'Cet aperçu a expiré : rien n\'a été tué. Demandez un nouvel aperçu pour voir ce qui correspond maintenant.',
		'killall.missing': 'Indisponible : ce serveur n\'a pas de méthode kill_preview().',
		// -- audit
		'audit.user': 'Utilisateur',
		'audit.action': 'Action',
		'audit.action.all': 'toutes',
		'audit.result': 'Résultat',
		'audit.apply': 'Appliquer',
		'audit.reload': 'Relire',
		'audit.caption': 'Journal des actions, les plus récentes d\'abord',
		'audit.col.time': 'Heure',
		'audit.col.user': 'Utilisateur',
		'audit.col.from': 'Depuis',
		'audit.col.action': 'Action',
		'audit.col.id': 'ID',
		'audit.col.tuple': 'Connexion',
		'audit.col.change': 'Modification',
		'audit.col.result': 'Résultat',
		'audit.col.message': 'Message',
		'audit.pages': 'Pages du journal',
		'audit.prev': '‹ Plus récentes',
		'audit.next': 'Plus anciennes ›',
		'audit.page': '{first}–{last} sur {total}',
		'audit.empty': '0 sur {total}',
		'audit.none': 'Aucune action enregistrée ne correspond.',
		'audit.missing': 'Indisponible : ce serveur n\'a pas de méthode audit().',
		'audit.failed': 'Lecture du journal impossible : {fault}',
		// -- live
		'live.pause': 'Pause',
		'live.resume': 'Reprendre',
		'live.clear': 'Effacer',
		'live.caption': 'Connexions ouvertes et fermées, les plus récentes d\'abord',
		'live.col.time': 'Heure',
		'live.col.event': 'Événement',
		'live.col.id': 'ID',
		'live.col.proto': 'Proto',
		'live.col.src': 'Source',
		'live.col.dst': 'Destination',
		'live.col.state': 'État',
		'live.col.bytes': 'Octets finaux',
		'live.new': 'ouverte',
		'live.destroy': 'fermée',
		'live.update': 'modifiée',
		'live.watching': 'En écoute (le filtre de la table s\'applique)',
		'live.paused': 'En pause',
		'live.hidden': 'Arrêté tant que la page est masquée',
		'live.stopped': 'Arrêté',
		'live.rate': '{n} événements/s',
		'live.gaps': '{windows} fenêtres · {gap} s non observées entre elles (dernière {last} ms)',
		'live.lost': 'Le noyau a perdu {n} événements (tampon plein) : ce flux est incomplet. La table sera relue.',
		'live.more': 'Plus de {max} événements dans une fenêtre : la suivante commence aussitôt.',
		'live.sysctl': 'net.netfilter.nf_conntrack_events vaut {v}, pas 1 : le noyau peut taire la fermeture des connexions ouvertes avant ce flux.',
		'live.noacct': 'Le comptage des octets est désactivé : les connexions fermées n\'indiquent pas d\'octets finaux (sysctl net.netfilter.nf_conntrack_acct=1).',
		'live.bytes': 'aller {orig}, retour {repl}',
		'live.notwatched': 'Non observé de {from} à {to} ({s} s) : les événements de ce moment ne sont pas affichés.',
		'live.missing': 'Indisponible : ce serveur n\'a pas de méthode events().',
		'live.failed': 'Lecture des événements impossible : {fault}. Nouvel essai…',
		// -- expectations
		'expect.refresh': 'Actualiser',
		'expect.caption': 'Connexions attendues',
		'expect.col.id': 'ID',
		'expect.col.helper': 'Assistant',
		'expect.col.proto': 'Proto',
		'expect.col.expected': 'Connexion attendue',
		'expect.col.master': 'Connexion maître',
		'expect.col.timeout': 'Expiration',
		'expect.col.zone': 'Zone',
		'expect.col.actions': 'Actions',
		'expect.count': '{n} attentes',
		'expect.none': 'Aucune attente : aucun assistant n\'a annoncé de connexion.',
		'expect.showmaster': 'Afficher la connexion {id} dans la table',
		'expect.kill': 'Tuer',
		'expect.killlabel': 'Tuer l\'attente {id}',
		'expect.confirmtitle': 'Tuer l\'attente {id} ?',
		'expect.confirmtext': 'L\'attente de {tuple} annoncée par l\'assistant {helper} est supprimée : cette connexion ne sera plus admise comme liée.',
		'expect.killed': 'Attente {id} tuée.',
		'expect.gone': 'L\'attente {id} avait déjà disparu.',
		'expect.killfailed': 'Échec, rien n\'a été tué : {fault}',
		'expect.missing': 'Indisponible : ce serveur n\'a pas de méthode expectations().',
		'expect.failed': 'Lecture des attentes impossible : {fault}',
		// -- export
	},
};

export const LANGS = Object.keys(MESSAGES);
const KEY = 'ctd.lang';

function fromBrowser() {
	const wanted = (typeof navigator !== 'undefined' && navigator.languages) || [];
	for (const l of wanted) {
		const base = String(l).toLowerCase().split('-')[0];
		if (LANGS.includes(base)) return base;
	}
	return 'en';
}

let current = null;

export function lang() {
	if (current) return current;
	let saved = null;
	try { saved = localStorage.getItem(KEY); } catch (e) { /* storage off */ }
	current = LANGS.includes(saved) ? saved : fromBrowser();
	return current;
}

// Choose a language; listeners of 'ctd-lang' on document redraw their text.
export function setLang(l) {
	if (!LANGS.includes(l)) return;
	current = l;
	try { localStorage.setItem(KEY, l); } catch (e) { /* storage off */ }
	document.documentElement.lang = l;
	document.dispatchEvent(new CustomEvent('ctd-lang', { detail: l }));
}

export function t(key, vars) {
	const s = MESSAGES[lang()][key] ?? MESSAGES.en[key] ?? key;
	return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
}

// A number with the language's grouping and decimal mark.
export function num(n, digits) {
	const o = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
	return new Intl.NumberFormat(lang(), o).format(Number(n) || 0);
}

// A unix time as the language writes date and time.
export function dateTime(unix) {
	return new Intl.DateTimeFormat(lang(), { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(unix * 1000));
}
