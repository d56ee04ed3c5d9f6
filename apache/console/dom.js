// SPDX-License-Identifier: GPL-2.0-or-later
// The DOM helpers every panel uses.  Strings from the server or the user
// reach the page only through textContent, never as markup.
export const $ = (id) => document.getElementById(id);

// A new element with an optional class and text.
export function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined) e.textContent = text;
	return e;
}

export function button(text, cls, onclick, label) {
	const b = el('button', cls, text);
	b.type = 'button';
	if (label) b.setAttribute('aria-label', label);
	b.addEventListener('click', onclick);
	return b;
}

export function checkbox(cls, label, checked, onchange) {
	const cb = el('input', cls);
	cb.type = 'checkbox';
	cb.setAttribute('aria-label', label);
	cb.checked = checked;
	cb.addEventListener('change', onchange);
	return cb;
}
