/*
 * Portcullis enrollment pages: what every page shares (calling the JSON API, showing errors and
 * steps, base64, QR codes, downloads). Loaded from /assets/ only; the pages' Content-Security-Policy
 * allows no inline script, no inline style and no other origin, so nothing here writes HTML or
 * style attributes: text goes in with textContent, visibility with the hidden attribute.
 */
(function () {
  'use strict';

  const CSRF_HEADER = 'X-Portcullis-CSRF';
  const NETWORK_MESSAGE = 'The server could not be reached. Check your connection and try again.';

  /** The server answered with an error status; message is its {"error"} text (safe to show). */
  class ApiError extends Error {
    constructor(status, message, retryAfterSeconds) {
      super(message);
      this.name = 'ApiError';
      this.status = status;
      this.retryAfterSeconds = retryAfterSeconds;
    }
  }

  /** No answer at all (offline, connection cut, TLS failure, answer unreadable). */
  class NetworkError extends Error {
    constructor() {
      super(NETWORK_MESSAGE);
      this.name = 'NetworkError';
    }
  }

  let csrf = null;

  function byId(id) {
    const element = document.getElementById(id);
    if (!element) {
      throw new Error('the page has no #' + id);
    }
    return element;
  }

  function fallbackMessage(status) {
    if (status === 429) {
      return 'Too many attempts.';
    }
    if (status >= 500) {
      return 'The service is not available right now. Try again in a few minutes.';
    }
    return 'The request was not accepted.';
  }

  /**
   * Calls the JSON API on this origin and returns the parsed answer (null for an empty one).
   * Throws ApiError for an error status and NetworkError when no answer arrived.
   */
  async function api(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    if (csrf) {
      headers[CSRF_HEADER] = csrf;
    }
    let response;
    let text;
    try {
      response = await fetch(path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
        redirect: 'error',
        referrerPolicy: 'no-referrer'
      });
      text = await response.text();
    } catch (e) {
      throw new NetworkError();
    }
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    if (!response.ok) {
      const retry = parseInt(response.headers.get('Retry-After') || '', 10);
      let message = data && typeof data.error === 'string' && data.error ? data.error : fallbackMessage(response.status);
      if (response.status === 429 && retry > 0) {
        message += ' Wait ' + retry + (retry === 1 ? ' second' : ' seconds') + ' and try again.';
      }
      throw new ApiError(response.status, message, retry > 0 ? retry : null);
    }
    return data;
  }

  function setCsrf(value) {
    csrf = typeof value === 'string' && value ? value : null;
  }

  function showError(element, message) {
    element.textContent = message;
    element.hidden = false;
  }

  function clearError(element) {
    element.textContent = '';
    element.hidden = true;
  }

  /** A page-level message in #error. */
  function pageError(message) {
    showError(byId('error'), message);
  }

  function clearPageError() {
    clearError(byId('error'));
  }

  /**
   * Where a failure is shown: the server's message in the step's own error element, a network
   * failure as a plain sentence in #error. Anything else is a bug in this page.
   */
  function report(failure, stepError) {
    if (failure instanceof ApiError && stepError) {
      showError(stepError, failure.message);
    } else if (failure instanceof ApiError) {
      pageError(failure.message);
    } else if (failure instanceof NetworkError) {
      pageError(NETWORK_MESSAGE);
    } else {
      pageError('Something went wrong in this page. Reload it and try again.');
      if (window.console) {
        window.console.error(failure);
      }
    }
  }

  /** Shows exactly one of the sections and moves focus to its heading (for keyboard and screen-reader users). */
  function showOnly(ids, visibleId) {
    for (const id of ids) {
      byId(id).hidden = id !== visibleId;
    }
    const heading = byId(visibleId).querySelector('h1');
    if (heading) {
      heading.focus();
    }
  }

  /** Runs action with the button disabled and marked busy, so a double click sends nothing twice. */
  async function busy(button, action) {
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await action();
    } finally {
      button.removeAttribute('aria-busy');
      if (button.isConnected) {
        button.disabled = false;
      }
    }
  }

  function base64urlToBytes(text) {
    if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) {
      throw new Error('not base64url');
    }
    let base64 = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4 !== 0) {
      base64 += '=';
    }
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
  }

  function bytesToBase64(bytes) {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    let binary = '';
    for (let i = 0; i < view.length; i++) {
      binary += String.fromCharCode(view[i]);
    }
    return btoa(binary);
  }

  function bytesToBase64url(bytes) {
    return bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  /**
   * A QR code of text as a data: URL (a GIF), for an <img>. Uses the vendored qrcode-generator
   * (global "qrcode"), smallest version that fits, UTF-8 bytes, a four-module quiet zone.
   */
  function qrDataUrl(text, errorCorrection) {
    if (typeof window.qrcode !== 'function') {
      throw new Error('the QR code library did not load');
    }
    window.qrcode.stringToBytes = window.qrcode.stringToBytesFuncs['UTF-8'];
    const code = window.qrcode(0, errorCorrection || 'M');
    code.addData(text, 'Byte');
    code.make();
    const modules = code.getModuleCount();
    const cell = Math.max(2, Math.floor(320 / (modules + 8)));
    return code.createDataURL(cell, cell * 4);
  }

  /** Offers text as a file download; the object URL lives only for the click. */
  function download(fileName, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type: type || 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 0);
  }

  /** A local time of day for an ISO-8601 instant, or '' if it cannot be read. */
  function timeOfDay(iso) {
    const date = new Date(iso);
    if (isNaN(date.getTime())) {
      return '';
    }
    return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  window.Portcullis = Object.freeze({
    ApiError: ApiError,
    NetworkError: NetworkError,
    NETWORK_MESSAGE: NETWORK_MESSAGE,
    api: api,
    setCsrf: setCsrf,
    byId: byId,
    showError: showError,
    clearError: clearError,
    pageError: pageError,
    clearPageError: clearPageError,
    report: report,
    showOnly: showOnly,
    busy: busy,
    base64urlToBytes: base64urlToBytes,
    bytesToBase64: bytesToBase64,
    bytesToBase64url: bytesToBase64url,
    qrDataUrl: qrDataUrl,
    download: download,
    timeOfDay: timeOfDay
  });
}());
