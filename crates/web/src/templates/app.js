// Entrepot's progressive enhancement: the theme switch, copy buttons and
// full dates on <time>. Every page works without it. It is loaded in <head>,
// not deferred, so that the chosen theme applies before the first paint.
(function () {
  'use strict';
  const root = document.documentElement;
  const KEY = 'entrepot-theme';
  const THEMES = ['system', 'light', 'dark'];

  function storedTheme() {
    try {
      const theme = localStorage.getItem(KEY);
      return THEMES.indexOf(theme) > 0 ? theme : 'system';
    } catch (e) {
      return 'system'; // storage refused: follow the system
    }
  }

  function applyTheme(theme) {
    if (theme === 'light' || theme === 'dark') root.setAttribute('data-theme', theme);
    else root.removeAttribute('data-theme');
  }

  applyTheme(storedTheme());

  // The header's button cycles system → light → dark.
  function setUpThemeSwitch() {
    const button = document.querySelector('.theme-switch');
    if (!button) return;
    let current = storedTheme();
    const show = () => {
      const next = THEMES[(THEMES.indexOf(current) + 1) % THEMES.length];
      button.textContent = 'Theme: ' + current;
      button.setAttribute('aria-label', 'Theme: ' + current + '. Switch to the ' + next + ' theme');
    };
    button.addEventListener('click', () => {
      current = THEMES[(THEMES.indexOf(current) + 1) % THEMES.length];
      try {
        if (current === 'system') localStorage.removeItem(KEY);
        else localStorage.setItem(KEY, current);
      } catch (e) { /* not kept: this page only */ }
      applyTheme(current);
      show();
    });
    // Another tab changed it.
    window.addEventListener('storage', (event) => {
      if (event.key !== KEY && event.key !== null) return;
      current = storedTheme();
      applyTheme(current);
      show();
    });
    show();
    button.hidden = false;
  }

  // Copy buttons: on every install snippet's <pre>, and on [data-copy].
  let status = null;
  function announce(message) {
    status.textContent = '';
    setTimeout(() => { status.textContent = message; }, 100);
  }

  function selectContents(element) {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyBySelecting(element) {
    selectContents(element);
    try {
      return document.execCommand('copy');
    } catch (e) {
      return false;
    }
  }

  function copy(element, button) {
    const text = (element.getAttribute('data-copy') || element.textContent).replace(/\n+$/, '');
    const done = (copied) => {
      if (!copied) {
        announce('Selected: press Ctrl+C or ⌘C to copy');
        return;
      }
      announce('Copied');
      button.textContent = 'Copied';
      setTimeout(() => { button.textContent = 'Copy'; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => done(true), () => done(copyBySelecting(element)));
    } else {
      done(copyBySelecting(element));
    }
  }

  function setUpCopyButtons() {
    const snippets = document.querySelectorAll('.snippet > pre');
    const marked = document.querySelectorAll('[data-copy]');
    if (!snippets.length && !marked.length) return;
    status = document.createElement('p');
    status.className = 'hidden';
    status.setAttribute('role', 'status');
    document.body.appendChild(status);
    const button = (target) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'copy';
      b.textContent = 'Copy';
      b.addEventListener('click', () => copy(target, b));
      return b;
    };
    snippets.forEach((pre) => pre.parentNode.insertBefore(button(pre), pre));
    marked.forEach((element) => element.parentNode.insertBefore(button(element), element.nextSibling));
  }

  // A <time>'s title gives its full local date and time; its text stays.
  function titleTimes() {
    document.querySelectorAll('time[datetime]').forEach((time) => {
      const date = new Date(time.getAttribute('datetime'));
      if (time.title || isNaN(date.getTime())) return;
      try {
        time.title = date.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'long' });
      } catch (e) {
        time.title = date.toLocaleString();
      }
    });
  }

  function setUp() {
    setUpThemeSwitch();
    setUpCopyButtons();
    titleTimes();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setUp);
  else setUp();
})();
