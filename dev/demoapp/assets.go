package main

// logoSVG is the mark in the sidebar: a keyhole in a ring.
const logoSVG = `<svg class="logo" viewBox="0 0 32 32" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">` +
	`<defs><linearGradient id="logo-g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#4f7cff"/><stop offset="1" stop-color="#7b4dff"/></linearGradient></defs>` +
	`<rect width="32" height="32" rx="8" fill="url(#logo-g)"/>` +
	`<circle cx="16" cy="16" r="9" fill="none" stroke="#fff" stroke-width="2.5"/>` +
	`<circle cx="16" cy="14" r="2.6" fill="#fff"/><path d="M14.6 15.5h2.8l.9 5h-4.6z" fill="#fff"/></svg>`
