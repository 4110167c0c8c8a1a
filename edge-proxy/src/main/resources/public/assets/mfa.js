/*
 * The browser hand-off of a tunnel session's WebAuthn step (client-agent/SESSION-API.md, "Browser
 * hand-off for WebAuthn"). The agent opened /mfa/<token>: this page asks core what the token is
 * for and names it in #mfa-summary; #mfa-confirm has the security key or passkey sign core's
 * challenge, and the assertion goes back to core. The agent, polling core, then gets its tunnel.
 *
 * The token is read from the address bar and sent only to the two calls below, on this origin. It
 * stays in the address bar so that a reload works while the link is live (it is single-use and
 * short-lived; the page sends no Referer). Nothing is stored.
 */
(function () {
  'use strict';

  const P = window.Portcullis;
  const PREFIX = '/mfa/';
  const API = '/api/v1/tunnel/webauthn/';
  /** The only shape core mints: 43 base64url characters (256 bits, no padding). */
  const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
  /** Core's neutral answer (404) for a link that is unknown, used or expired; shown for every 404. */
  const LINK_ENDED = 'This sign-in link is not valid any more. Start again from your device.';
  const NO_WEBAUTHN = 'This browser cannot use security keys or passkeys. '
    + 'Open the link in a current version of Chrome, Edge, Firefox or Safari.';
  const PAGE_FAILED = 'Something went wrong in this page. Reload it and try again.';

  const $ = P.byId;

  let token = '';
  /** The request options of the challenge waiting for an answer, or null while there is none. */
  let pending = null;

  function webauthnSupported() {
    return !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.get);
  }

  function tokenFromAddress() {
    const path = window.location.pathname;
    const candidate = path.indexOf(PREFIX) === 0 ? path.slice(PREFIX.length) : '';
    return TOKEN_SHAPE.test(candidate) ? candidate : '';
  }

  function text(value) {
    return typeof value === 'string' ? value : '';
  }

  /** What a failed call shows: the link's end for 404, else the server's text or a neutral one for no answer. */
  function describe(failure) {
    if (failure instanceof P.ApiError) {
      return failure.status === 404 ? LINK_ENDED : failure.message;
    }
    if (failure instanceof P.NetworkError) {
      return P.NETWORK_MESSAGE;
    }
    if (window.console) {
      window.console.error(failure);
    }
    return PAGE_FAILED;
  }

  /** Nothing was decided about the link (no answer, rate limited, service unavailable): a reload may work. */
  function undecided(failure) {
    return failure instanceof P.NetworkError
      || (failure instanceof P.ApiError && (failure.status === 429 || failure.status >= 500));
  }

  function describeLoadFailure(failure) {
    return undecided(failure) ? describe(failure) + ' Reload the page to try again.' : describe(failure);
  }

  /** The link cannot be used from this page any more: say why and take the button away. */
  function ended(message) {
    pending = null;
    $('mfa-summary').hidden = true;
    $('mfa-confirm').hidden = true;
    P.showError($('mfa-error'), message);
  }

  /** PublicKeyCredentialRequestOptions from core's JSON (binary fields base64url). */
  function requestOptions(json) {
    if (!json || typeof json.challenge !== 'string') {
      throw new Error('the request options have no challenge');
    }
    const options = Object.assign({}, json);
    options.challenge = P.base64urlToBytes(json.challenge);
    if (Array.isArray(json.allowCredentials)) {
      options.allowCredentials = json.allowCredentials.map(function (credential) {
        return Object.assign({}, credential, { id: P.base64urlToBytes(credential.id) });
      });
    }
    return options;
  }

  /** Asks core what the link is for and which challenge to sign. Throws as P.api does. */
  async function fetchOptions() {
    const answer = await P.api('POST', API + 'options', { token: token });
    return { answer: answer || {}, publicKey: requestOptions(answer && answer.publicKey) };
  }

  /** The assertion as JSON with base64url binary fields (no padding), as core expects it. */
  function assertionJson(credential) {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: P.bytesToBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: P.bytesToBase64url(response.clientDataJSON),
        authenticatorData: P.bytesToBase64url(response.authenticatorData),
        signature: P.bytesToBase64url(response.signature),
        userHandle: response.userHandle ? P.bytesToBase64url(response.userHandle) : null
      },
      clientExtensionResults: typeof credential.getClientExtensionResults === 'function'
        ? credential.getClientExtensionResults() : {}
    };
  }

  function describeWebauthnFailure(e) {
    switch (e && e.name) {
      case 'NotAllowedError':
      case 'AbortError':
        return 'The security key did not answer, or the request was cancelled. Try again.';
      case 'NotSupportedError':
        return 'This security key or browser does not support what is required.';
      case 'SecurityError':
        return 'The browser refused to use a security key for this address.';
      default:
        return 'The browser could not use the security key. Try again.';
    }
  }

  function ready(result) {
    const about = result.answer;
    $('mfa-summary').textContent = 'Confirm the tunnel to ' + text(about.location) + ' for ' + text(about.device)
      + ' (' + text(about.user) + ')';
    if (!webauthnSupported()) {
      $('mfa-confirm').hidden = true;
      P.showError($('mfa-error'), NO_WEBAUTHN);
      return;
    }
    pending = result.publicKey;
    $('mfa-confirm').hidden = false;
  }

  function done() {
    pending = null;
    $('mfa-confirm').hidden = true;
    $('mfa-done').hidden = false;
    $('mfa-done').focus();
  }

  /**
   * A sent assertion used up its challenge whatever the answer, so another try needs a fresh one.
   * A 404 means the link is over.
   */
  async function afterFailedFinish(failure) {
    const message = describe(failure);
    if (failure instanceof P.ApiError && failure.status === 404) {
      ended(message);
      return;
    }
    P.showError($('mfa-error'), message);
    try {
      pending = (await fetchOptions()).publicKey;
    } catch (again) {
      ended(message === describe(again) ? message : message + ' ' + describeLoadFailure(again));
    }
  }

  async function confirm() {
    if (!pending) {
      return;
    }
    await P.busy($('mfa-confirm'), async function () {
      P.clearError($('mfa-error'));
      let credential;
      try {
        // Called before anything is awaited, so the browser still sees the user's click.
        credential = await navigator.credentials.get({ publicKey: pending });
      } catch (e) {
        P.showError($('mfa-error'), describeWebauthnFailure(e));
        return;
      }
      if (!credential) {
        P.showError($('mfa-error'), describeWebauthnFailure(null));
        return;
      }
      pending = null;
      try {
        await P.api('POST', API + 'finish', { token: token, credential: assertionJson(credential) });
      } catch (failure) {
        await afterFailedFinish(failure);
        return;
      }
      done();
    });
  }

  async function start() {
    $('mfa-confirm').addEventListener('click', confirm);
    token = tokenFromAddress();
    if (!token) {
      ended(LINK_ENDED);
      return;
    }
    let result;
    try {
      result = await fetchOptions();
    } catch (failure) {
      ended(describeLoadFailure(failure));
      return;
    }
    ready(result);
  }

  start();
}());
