// Keeps the reader's place when a link only changes what part of a page
// shows (a chart's range or metric, compare's mode: links marked
// data-noscroll). The dashboard's pages are rendered on the server, so such
// a link loads a new page; this puts it back where the reader was.
// Loaded with `defer`: it runs once the page is parsed, before it is shown.
(() => {
  const KEY = 'reach:scroll';
  try {
    const kept = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    sessionStorage.removeItem(KEY);
    if (kept && kept.url === location.href) {
      window.scrollTo(0, kept.y);
    }
  } catch (_) {
    // No storage (private mode, or refused): the page opens at its top.
  }
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element && event.target.closest('a[data-noscroll]');
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ url: link.href, y: window.scrollY }));
    } catch (_) {
      // The link still works; the page opens at its top.
    }
  });
})();
