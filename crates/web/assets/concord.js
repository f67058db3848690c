// Concord's page script, served from the binary (CSP script-src 'self'). Every page works
// without it; it adds two things:
// 1. live notifications: new objects matching the user's web subscriptions arrive over
//    server-sent events (/notifications/live, while the tab is visible) and are shown in
//    the page's aria-live region (text only: nothing received is ever parsed as HTML);
// 2. upload progress: a form with data-progress="ID" is sent with XMLHttpRequest, and the
//    <progress> inside element ID shows the bytes sent. On any failure the form is sent
//    the ordinary way;
// 3. job progress: an element with data-job-status="URL" (a running import) is updated
//    in place from that JSON status every second instead of the page reloading itself
//    (which it does only without JavaScript), and the page is loaded again once the
//    job has finished.
(function () {
  'use strict';

  var region = document.getElementById('live');
  if (region && window.EventSource) {
    // A stream is open only while the tab is visible (browsers allow few connections
    // per server; hidden tabs give theirs back) and resumes from the last id it saw.
    var source = null;
    var lastId = '';
    var show = function (e) {
      lastId = e.lastEventId || lastId;
      var note;
      try {
        note = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (typeof note.text !== 'string' || typeof note.url !== 'string') return;
      var p = document.createElement('p');
      // Only local links (one leading slash).
      if (note.url.charAt(0) === '/' && note.url.charAt(1) !== '/') {
        var a = document.createElement('a');
        a.href = note.url;
        a.textContent = note.text;
        p.appendChild(a);
      } else {
        p.textContent = note.text;
      }
      region.appendChild(p);
      while (region.children.length > 5) region.removeChild(region.firstElementChild);
    };
    var connect = function () {
      if (source) return;
      source = new EventSource('/notifications/live' + (lastId ? '?after=' + encodeURIComponent(lastId) : ''));
      // The state of the channel, for tests and style: connecting, open, closed.
      region.setAttribute('data-state', 'connecting');
      source.addEventListener('ready', function (e) {
        lastId = e.lastEventId || lastId;
        region.setAttribute('data-state', 'open');
      });
      source.addEventListener('notification', show);
      source.addEventListener('error', function () {
        region.setAttribute('data-state', 'connecting');
      });
    };
    var disconnect = function () {
      if (!source) return;
      source.close();
      source = null;
      region.setAttribute('data-state', 'closed');
    };
    document.addEventListener('visibilitychange', function () {
      if (document.hidden) disconnect();
      else connect();
    });
    window.addEventListener('pagehide', disconnect);
    if (!document.hidden) connect();
  }

  var job = document.querySelector('[data-job-status]');
  if (job && window.fetch) {
    var jobBar = job.querySelector('progress');
    var jobLabel = job.querySelector('label');
    var poll = function () {
      fetch(job.getAttribute('data-job-status'), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) {
          if (!r.ok) throw new Error('status ' + r.status);
          return r.json();
        })
        .then(function (s) {
          if (!s.running) {
            window.location.reload();
            return;
          }
          if (s.total > 0) {
            jobBar.max = s.total;
            jobBar.value = s.done;
          }
          if (typeof s.text === 'string' && jobLabel.textContent !== s.text) jobLabel.textContent = s.text;
          window.setTimeout(poll, 1000);
        })
        .catch(function () {
          window.setTimeout(function () { window.location.reload(); }, 2000);
        });
    };
    window.setTimeout(poll, 1000);
  }

  var forms = document.querySelectorAll('form[data-progress]');
  Array.prototype.forEach.call(forms, function (form) {
    var box = document.getElementById(form.getAttribute('data-progress'));
    var bar = box && box.querySelector('progress');
    if (!bar || !window.FormData || !window.XMLHttpRequest) return;
    var sending = false;
    form.addEventListener('submit', function (ev) {
      if (sending) return;
      ev.preventDefault();
      sending = true;
      box.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.upload.addEventListener('progress', function (p) {
        if (p.lengthComputable) {
          bar.max = p.total;
          bar.value = p.loaded;
        }
      });
      xhr.addEventListener('load', function () {
        // Success is a redirect to the job's page (followed by the request).
        if (xhr.status === 200 && xhr.responseURL && xhr.responseURL.indexOf('/import/jobs/') !== -1) {
          window.location.assign(xhr.responseURL);
        } else {
          // An error page: let the browser send the form and show it.
          form.submit();
        }
      });
      xhr.addEventListener('error', function () {
        form.submit();
      });
      xhr.send(new FormData(form));
    });
  });
})();
