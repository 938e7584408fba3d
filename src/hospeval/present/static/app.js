// hospeval dashboard: draws the charts from their JSON options and shows progress of background jobs.
(function () {
  function drawCharts() {
    if (!window.echarts) return;
    document.querySelectorAll('.chart[data-option]').forEach(function (el) {
      var chart = echarts.init(el, null, { renderer: 'canvas' });
      chart.setOption(JSON.parse(el.getAttribute('data-option')));
      window.addEventListener('resize', function () { chart.resize(); });
    });
  }
  function showJob(box, job) {
    var pct = Math.round((job.progress || 0) * 100);
    box.innerHTML = '<div class="bar"><i style="width:' + pct + '%"></i></div>' +
      '<span class="status-' + job.status + '">' + job.status + ' ' + pct + '% ' + (job.message || '') + '</span>' +
      (job.lines && job.lines.length ? '<pre>' + job.lines.join('\n').replace(/</g, '&lt;') + '</pre>' : '');
  }
  function poll(box, url) {
    fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (job) {
      showJob(box, job);
      if (job.status !== 'done' && job.status !== 'failed') setTimeout(function () { poll(box, url); }, 500);
    });
  }
  function start(box, promise) {
    box.innerHTML = '<div class="bar"><i style="width:2%"></i></div><span>…</span>';
    promise.then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { box.innerHTML = '<p class="error">' + String(res.body.detail).replace(/</g, '&lt;') + '</p>'; return; }
        poll(box, res.body.status_url);
      });
  }
  document.addEventListener('DOMContentLoaded', function () {
    drawCharts();
    var form = document.getElementById('upload-form');
    if (form) form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      start(document.getElementById('upload-job'),
        fetch('/api/uploads', { method: 'POST', body: new FormData(form), credentials: 'same-origin' }));
    });
    document.querySelectorAll('.run-stage').forEach(function (btn) {
      btn.addEventListener('click', function () {
        start(document.getElementById('stage-job'), fetch('/api/stages/' + btn.dataset.stage + '/run',
          { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' }));
      });
    });
    // Report downloads can take a few seconds: show that something is happening.
    document.querySelectorAll('a.dl').forEach(function (a) {
      a.addEventListener('click', function () { a.classList.add('busy'); setTimeout(function () { a.classList.remove('busy'); }, 4000); });
    });
  });
})();
