// Real-user monitoring, minimal: every uncaught error of the page is reported to the frontend,
// which counts it (frontend_client_errors_total) for Prometheus.
(function () {
  function report(kind, message) {
    fetch('/api/client-errors', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: kind, message: String(message), page: location.pathname }),
      keepalive: true,
    }).catch(function () {});
  }
  window.addEventListener('error', function (event) {
    report('error', event.message);
  });
  window.addEventListener('unhandledrejection', function (event) {
    const reason = event.reason;
    report('unhandledrejection', reason && reason.stack ? reason.stack : reason);
  });
})();
