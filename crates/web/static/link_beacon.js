// Tracked links' beacon for siyu's article pages (雷达链接): reports the time the page was visible and
// a forward, to POST /l/{token}/read and /l/{token}/forward. The page includes it as
// <script src="/static/link_beacon.js" data-token="{token}" defer></script>; without a token it does
// nothing. Time is counted only while the page is visible and sent each time it is hidden (the last
// moment a phone's browser reliably runs script), at most an hour a report, as the server accepts.
(function () {
  var me = document.currentScript;
  var token = me && me.getAttribute('data-token');
  // The address loses its token at once: WeChat's own menu (share, copy link, open in the browser)
  // takes the address as shown, and a friend it reaches is not the customer the link was made for.
  if (window.history && history.replaceState && location.search) history.replaceState(null, '', location.pathname);
  if (!token || !navigator.sendBeacon) return;
  var base = '/l/' + encodeURIComponent(token);
  var since = document.visibilityState === 'visible' ? Date.now() : null;
  function flush() {
    if (since === null) return;
    var seconds = Math.min(3600, Math.round((Date.now() - since) / 1000));
    since = null;
    if (seconds >= 1) navigator.sendBeacon(base + '/read', JSON.stringify({ seconds: seconds }));
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') flush();
    else since = Date.now();
  });
  window.addEventListener('pagehide', flush);
  // A share button (data-link-forward) or the page's share action counts as a forward.
  document.addEventListener('click', function (e) {
    var el = e.target && e.target.closest && e.target.closest('[data-link-forward]');
    if (!el) return;
    navigator.sendBeacon(base + '/forward', '');
    // Where the browser can share (WeChat's own menu cannot be seen from the page), offer it.
    // The shared address is the page without its token: a friend who opens it is not the customer the
    // link was made for, and must not be recorded as them.
    var url = location.origin + location.pathname;
    if (navigator.share) navigator.share({ title: document.title, url: url }).catch(function () {});
  });
  window.siyuLinkForwarded = function () { navigator.sendBeacon(base + '/forward', ''); };
})();
