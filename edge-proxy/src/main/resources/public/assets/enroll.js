/*
 * The invite ceremony (enrollment/API.md): redeem the link's token, then password, second factors,
 * recovery codes and a device, one step at a time. Exactly one #step-* section is visible.
 *
 * The token is read from the address bar, sent once to /api/v1/enroll/redeem and removed from the
 * address bar. A device's WireGuard private key is made here with WebCrypto and exists only in this
 * page's memory and the configuration shown to the user: it is never sent and never stored.
 */
(function () {
  'use strict';

  const P = window.Portcullis;
  const PREFIX = '/enroll/';
  const API = '/api/v1/enroll/';
  const STEPS = ['welcome', 'password', 'totp', 'webauthn', 'recovery', 'device', 'done'];
  /*
   * Only the CSRF value of this enrollment session, per tab, so that a reload can pick the session
   * up again (the invite link works once). It is worthless without the HttpOnly session cookie.
   */
  const CSRF_STORAGE_KEY = 'portcullis-enroll-csrf';
  /** wg-quick keeps NAT mappings and stateful firewalls open with a packet every 25 s. */
  const PERSISTENT_KEEPALIVE = 25;
  /** An X25519 PKCS#8 private key is this 16-byte header followed by the 32-byte raw key (RFC 8410). */
  const X25519_PKCS8_HEADER = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20];

  const state = {
    requires: { totp: false, webauthn: false },
    password: false,
    totp: false,
    webauthn: 0,
    recoveryShown: false,
    devices: 0,
    configs: [],
    resumeAt: 'password'
  };

  const $ = P.byId;

  function show(step) {
    P.showOnly(STEPS.map(function (name) { return 'step-' + name; }), 'step-' + step);
    const enter = ENTER[step];
    if (enter) {
      enter();
    }
  }

  function webauthnSupported() {
    return !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.create);
  }

  function hasSecondFactor() {
    return state.totp || state.webauthn > 0;
  }

  /** TOTP may be skipped when no location requires it and a security key can take its place. */
  function totpSkippable() {
    return !state.requires.totp && webauthnSupported();
  }

  /** Leaving the security-key step needs a second factor, and a key if a location requires one. */
  function webauthnDone() {
    return hasSecondFactor() && (!state.requires.webauthn || state.webauthn > 0);
  }

  /** Where a resumed session goes on: the first step not yet done. */
  function firstOpenStep() {
    if (!state.password) {
      return 'password';
    }
    if (state.requires.totp && !state.totp) {
      return 'totp';
    }
    if (state.requires.webauthn && state.webauthn === 0) {
      return 'webauthn';
    }
    if (!hasSecondFactor()) {
      return 'totp';
    }
    if (!state.recoveryShown) {
      return 'recovery';
    }
    return 'device';
  }

  function readRequires(requires) {
    state.requires = {
      totp: !!(requires && requires.totp),
      webauthn: !!(requires && requires.webauthn)
    };
  }

  // ---- welcome: redeem the link, or resume after a reload --------------------------------------

  function welcome(answer) {
    const user = answer.user || {};
    $('welcome-name').textContent = user.displayName || user.name || user.email || '';
    $('welcome-email').textContent = user.email || '';
    const until = P.timeOfDay(answer.expiresAt);
    $('welcome-expires').textContent = until ? 'This setup session ends at ' + until + '.' : '';
    if (typeof answer.passwordRules === 'string') {
      $('password-rules').textContent = answer.passwordRules;
    }
    readRequires(answer.requires);
    $('welcome-loading').hidden = true;
    $('welcome-ready').hidden = false;
  }

  function welcomeFailed() {
    $('welcome-loading').hidden = true;
    $('welcome-failed').hidden = false;
  }

  function tokenFromAddress() {
    const path = window.location.pathname;
    return path.indexOf(PREFIX) === 0 ? path.slice(PREFIX.length) : '';
  }

  function forgetToken() {
    window.history.replaceState(null, '', PREFIX);
  }

  async function redeem(token) {
    let answer;
    try {
      answer = await P.api('POST', API + 'redeem', { token: token });
    } catch (failure) {
      // Keep the link in the address bar only while a reload can still use it: nothing was decided
      // about the token (no answer, rate limited, service unavailable).
      const undecided = failure instanceof P.NetworkError
        || (failure instanceof P.ApiError && (failure.status === 429 || failure.status >= 500));
      if (undecided) {
        P.pageError(failure.message + ' Reload the page to try again.');
      } else {
        forgetToken();
        P.report(failure, null);
      }
      welcomeFailed();
      return;
    }
    forgetToken();
    P.setCsrf(answer.csrf);
    remember(answer.csrf);
    welcome(answer);
    state.resumeAt = 'password';
  }

  async function resume() {
    const csrf = recall();
    if (!csrf) {
      P.pageError('Open the invite link you were sent to start. If you have already used it, ask your administrator for a new invite.');
      welcomeFailed();
      return;
    }
    P.setCsrf(csrf);
    let session;
    try {
      session = await P.api('GET', API + 'session');
    } catch (failure) {
      if (failure instanceof P.ApiError) {
        forget();
      }
      P.report(failure, null);
      welcomeFailed();
      return;
    }
    const steps = session.steps || {};
    state.password = !!steps.password;
    state.totp = !!steps.totp;
    state.webauthn = typeof steps.webauthn === 'number' ? steps.webauthn : 0;
    state.recoveryShown = !!steps.recoveryCodes;
    state.devices = typeof steps.devices === 'number' ? steps.devices : 0;
    welcome(session);
    state.resumeAt = firstOpenStep();
    $('welcome-continue').textContent = 'Continue where you left off';
  }

  function remember(csrf) {
    try {
      window.sessionStorage.setItem(CSRF_STORAGE_KEY, csrf);
    } catch (e) {
      // Storage refused (private mode, policy): a reload then needs a new invite, nothing worse.
    }
  }

  function recall() {
    try {
      return window.sessionStorage.getItem(CSRF_STORAGE_KEY);
    } catch (e) {
      return null;
    }
  }

  function forget() {
    try {
      window.sessionStorage.removeItem(CSRF_STORAGE_KEY);
    } catch (e) {
      // nothing stored
    }
  }

  // ---- password ------------------------------------------------------------------------------

  async function submitPassword(event) {
    event.preventDefault();
    const error = $('password-error');
    P.clearError(error);
    P.clearPageError();
    const password = $('password').value;
    if (!password) {
      P.showError(error, 'Enter a password.');
      return;
    }
    if (password !== $('password-confirm').value) {
      P.showError(error, 'The two passwords are not the same.');
      return;
    }
    await P.busy($('password-submit'), async function () {
      try {
        await P.api('POST', API + 'password', { password: password });
      } catch (failure) {
        P.report(failure, error);
        return;
      }
      $('password').value = '';
      $('password-confirm').value = '';
      state.password = true;
      show('totp');
    });
  }

  // ---- TOTP ----------------------------------------------------------------------------------

  async function enterTotp() {
    const error = $('totp-error');
    P.clearError(error);
    $('totp-code').value = '';
    $('totp-skip').hidden = !totpSkippable();
    $('totp-secret').textContent = '';
    $('totp-qr').hidden = true;
    $('totp-qr').removeAttribute('src');
    let secret;
    try {
      secret = await P.api('POST', API + 'totp/start', {});
    } catch (failure) {
      P.report(failure, error);
      return;
    }
    $('totp-secret').textContent = secret.secret;
    try {
      $('totp-qr').src = P.qrDataUrl(secret.otpauthUri, 'M');
      $('totp-qr').hidden = false;
    } catch (e) {
      P.showError(error, 'The QR code cannot be shown; type the key into your app instead.');
    }
  }

  async function submitTotp(event) {
    event.preventDefault();
    const error = $('totp-error');
    P.clearError(error);
    P.clearPageError();
    const code = $('totp-code').value.replace(/\s+/g, '');
    if (!/^[0-9]{6}$/.test(code)) {
      P.showError(error, 'Enter the 6-digit code your authenticator app shows.');
      return;
    }
    await P.busy($('totp-submit'), async function () {
      try {
        await P.api('POST', API + 'totp/confirm', { code: code });
      } catch (failure) {
        P.report(failure, error);
        return;
      }
      state.totp = true;
      show('webauthn');
    });
  }

  function skipTotp() {
    if (totpSkippable()) {
      show('webauthn');
    }
  }

  // ---- WebAuthn ------------------------------------------------------------------------------

  function enterWebauthn() {
    P.clearError($('webauthn-error'));
    updateWebauthn();
    if (!webauthnSupported()) {
      P.showError($('webauthn-error'), 'This browser cannot register security keys or passkeys. '
        + (state.requires.webauthn ? 'Open the invite in a current version of Chrome, Edge, Firefox or Safari.' : 'Use an authenticator app instead.'));
    }
  }

  function updateWebauthn() {
    const done = webauthnDone();
    const next = $('webauthn-continue');
    next.hidden = !done;
    next.textContent = state.webauthn > 0 ? 'Continue' : 'Skip';
    $('webauthn-register').disabled = !webauthnSupported();
    $('webauthn-back').hidden = state.totp || state.requires.webauthn;
  }

  /** PublicKeyCredentialCreationOptions from core's JSON (binary fields base64url). */
  function creationOptions(json) {
    const options = Object.assign({}, json);
    options.challenge = P.base64urlToBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: P.base64urlToBytes(json.user.id) });
    if (Array.isArray(json.excludeCredentials)) {
      options.excludeCredentials = json.excludeCredentials.map(function (credential) {
        return Object.assign({}, credential, { id: P.base64urlToBytes(credential.id) });
      });
    }
    return options;
  }

  /** The new PublicKeyCredential as JSON with base64url binary fields, as core expects it. */
  function credentialJson(credential) {
    const response = {
      clientDataJSON: P.bytesToBase64url(credential.response.clientDataJSON),
      attestationObject: P.bytesToBase64url(credential.response.attestationObject)
    };
    if (typeof credential.response.getTransports === 'function') {
      response.transports = credential.response.getTransports();
    }
    return {
      id: credential.id,
      rawId: P.bytesToBase64url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: typeof credential.getClientExtensionResults === 'function'
        ? credential.getClientExtensionResults() : {}
    };
  }

  function describeWebauthnFailure(e) {
    switch (e && e.name) {
      case 'NotAllowedError':
        return 'The security key did not answer, or the request was cancelled. Try again.';
      case 'InvalidStateError':
        return 'This security key is already registered.';
      case 'NotSupportedError':
        return 'This security key or browser does not support what is required.';
      case 'SecurityError':
        return 'The browser refused to register a key for this address.';
      default:
        return 'The browser could not register the key.';
    }
  }

  async function registerKey(event) {
    event.preventDefault();
    const error = $('webauthn-error');
    P.clearError(error);
    P.clearPageError();
    if (!webauthnSupported()) {
      return;
    }
    const nickname = $('webauthn-name').value.trim() || 'Security key ' + (state.webauthn + 1);
    await P.busy($('webauthn-register'), async function () {
      let start;
      try {
        start = await P.api('POST', API + 'webauthn/start', { nickname: nickname });
      } catch (failure) {
        P.report(failure, error);
        return;
      }
      let credential;
      try {
        credential = await navigator.credentials.create({ publicKey: creationOptions(start.publicKey) });
      } catch (e) {
        P.showError(error, describeWebauthnFailure(e));
        return;
      }
      if (!credential) {
        P.showError(error, describeWebauthnFailure(null));
        return;
      }
      try {
        await P.api('POST', API + 'webauthn/finish', { credential: credentialJson(credential) });
      } catch (failure) {
        P.report(failure, error);
        return;
      }
      state.webauthn += 1;
      const item = document.createElement('li');
      item.textContent = nickname;
      $('webauthn-list').appendChild(item);
      $('webauthn-name').value = '';
    });
    updateWebauthn();
  }

  function leaveWebauthn() {
    if (webauthnDone()) {
      show('recovery');
    }
  }

  // ---- recovery codes ------------------------------------------------------------------------

  async function enterRecovery() {
    const error = $('recovery-error');
    const list = $('recovery-codes');
    P.clearError(error);
    $('recovery-continue').disabled = !$('recovery-ack').checked;
    if (list.children.length > 0) {
      return;
    }
    let answer;
    try {
      answer = await P.api('POST', API + 'recovery-codes', {});
    } catch (failure) {
      if (failure instanceof P.ApiError && failure.status === 409) {
        state.recoveryShown = true;
        P.showError(error, 'Your recovery codes were already shown once and cannot be shown again. '
          + 'If you did not keep them, ask your administrator to reset them after setup.');
        $('recovery-download').hidden = true;
      } else {
        P.report(failure, error);
      }
      return;
    }
    state.recoveryShown = true;
    for (const code of answer.codes || []) {
      const item = document.createElement('li');
      item.textContent = code;
      list.appendChild(item);
    }
    $('recovery-download').hidden = list.children.length === 0;
  }

  function downloadRecoveryCodes() {
    const codes = Array.prototype.map.call($('recovery-codes').children, function (item) { return item.textContent; });
    if (codes.length > 0) {
      P.download('portcullis-recovery-codes.txt', 'Portcullis recovery codes. Each code works once.\n\n'
        + codes.join('\n') + '\n');
    }
  }

  function acknowledgeRecovery() {
    $('recovery-continue').disabled = !$('recovery-ack').checked;
  }

  function leaveRecovery() {
    if ($('recovery-ack').checked) {
      show('device');
    }
  }

  // ---- device --------------------------------------------------------------------------------

  function enterDevice() {
    P.clearError($('device-error'));
  }

  function checkText(value, what) {
    if (typeof value !== 'string' || value === '' || /[\u0000-\u001f\u007f]/.test(value)) {
      throw new Error('unusable ' + what);
    }
    return value;
  }

  function checkKey(value, what) {
    checkText(value, what);
    if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(value)) {
      throw new Error('unusable ' + what);
    }
    return value;
  }

  /** A standard wg-quick configuration for one location. */
  function wgQuick(privateKey, location) {
    const lines = ['[Interface]', 'PrivateKey = ' + privateKey, 'Address = ' + checkText(location.address, 'address')];
    if (Array.isArray(location.dns) && location.dns.length > 0) {
      lines.push('DNS = ' + location.dns.map(function (dns) { return checkText(dns, 'DNS server'); }).join(', '));
    }
    if (typeof location.mtu === 'number' && location.mtu > 0) {
      lines.push('MTU = ' + Math.floor(location.mtu));
    }
    const allowed = (location.allowedIps || []).map(function (ip) { return checkText(ip, 'allowed IPs'); }).join(', ');
    for (const gateway of location.gateways || []) {
      lines.push('', '[Peer]',
        'PublicKey = ' + checkKey(gateway.publicKey, 'gateway key'),
        'Endpoint = ' + checkText(gateway.endpoint, 'endpoint'),
        'AllowedIPs = ' + allowed,
        'PersistentKeepalive = ' + PERSISTENT_KEEPALIVE);
    }
    return lines.join('\n') + '\n';
  }

  /** wg-quick names the interface after the file: at most 15 of [A-Za-z0-9_=+.-]. */
  function fileName(locationName) {
    const base = String(locationName || '').replace(/[^A-Za-z0-9_=+.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 15);
    return (base || 'portcullis') + '.conf';
  }

  async function makeKeyPair() {
    const pair = await window.crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
    const publicKey = new Uint8Array(await window.crypto.subtle.exportKey('raw', pair.publicKey));
    const pkcs8 = new Uint8Array(await window.crypto.subtle.exportKey('pkcs8', pair.privateKey));
    const headerMatches = pkcs8.length === 48 && X25519_PKCS8_HEADER.every(function (b, i) { return pkcs8[i] === b; });
    if (publicKey.length !== 32 || !headerMatches) {
      pkcs8.fill(0);
      throw new Error('unexpected X25519 key encoding');
    }
    const privateKey = pkcs8.slice(16);
    pkcs8.fill(0);
    return { publicKey: publicKey, privateKey: privateKey };
  }

  function showConfig(index) {
    const config = state.configs[index];
    if (!config) {
      return;
    }
    $('device-config').textContent = config.text;
    $('device-download').textContent = 'Download ' + config.file;
    try {
      $('device-qr').src = P.qrDataUrl(config.text, 'L');
      $('device-qr').hidden = false;
    } catch (e) {
      $('device-qr').hidden = true;
      $('device-qr').removeAttribute('src');
    }
  }

  async function generateDevice(event) {
    event.preventDefault();
    const error = $('device-error');
    P.clearError(error);
    P.clearPageError();
    const name = $('device-name').value.trim();
    if (!name) {
      P.showError(error, 'Give the device a name, for example "alice-phone".');
      return;
    }
    let registered = false;
    await P.busy($('device-generate'), async function () {
      let keys;
      try {
        if (!window.crypto || !window.crypto.subtle) {
          throw new Error('no WebCrypto');
        }
        keys = await makeKeyPair();
      } catch (e) {
        P.showError(error, 'This browser cannot make WireGuard keys. Use a current version of Chrome, Edge, Firefox '
          + 'or Safari, or set the device up with the Portcullis agent.');
        return;
      }
      let answer;
      try {
        answer = await P.api('POST', API + 'devices', {
          name: name,
          wireguardPublicKey: P.bytesToBase64(keys.publicKey),
          credentialPublicKey: null,
          kind: 'config'
        });
      } catch (failure) {
        keys.privateKey.fill(0);
        P.report(failure, error);
        return;
      }
      const privateKey = P.bytesToBase64(keys.privateKey);
      keys.privateKey.fill(0);
      try {
        state.configs = (answer.locations || []).map(function (location) {
          return { name: checkText(location.name, 'location name'), file: fileName(location.name), text: wgQuick(privateKey, location) };
        });
      } catch (e) {
        state.configs = [];
        P.showError(error, 'The device was registered, but the server sent a configuration this page cannot use. Ask your administrator.');
        return;
      }
      state.devices += 1;
      registered = true;
      if (state.configs.length === 0) {
        P.showError(error, 'The device was registered, but you have no network to connect to yet. Ask your administrator.');
        return;
      }
      const picker = $('device-location');
      picker.textContent = '';
      state.configs.forEach(function (config, index) {
        const option = document.createElement('option');
        option.value = String(index);
        option.textContent = config.name;
        picker.appendChild(option);
      });
      $('device-location-field').hidden = state.configs.length < 2;
      showConfig(0);
      $('device-result').hidden = false;
      $('device-name').readOnly = true;
    });
    if (registered) {
      // One configuration device per invite: another click would register a second key pair.
      $('device-generate').disabled = true;
    }
  }

  function downloadConfig() {
    const config = state.configs[Number($('device-location').value) || 0];
    if (config) {
      P.download(config.file, config.text, 'application/octet-stream');
    }
  }

  /** The private key lives in the configuration text only; drop it from the page once it is no longer needed. */
  function wipeConfigs() {
    state.configs = [];
    $('device-config').textContent = '';
    $('device-qr').hidden = true;
    $('device-qr').removeAttribute('src');
    $('device-result').hidden = true;
  }

  async function finish() {
    const error = $('device-error');
    P.clearError(error);
    P.clearPageError();
    await P.busy($('device-finish'), async function () {
      let answer;
      try {
        answer = await P.api('POST', API + 'complete', {});
      } catch (failure) {
        P.report(failure, error);
        return;
      }
      forget();
      P.setCsrf(null);
      wipeConfigs();
      const devices = answer && typeof answer.devices === 'number' ? answer.devices : state.devices;
      $('done-devices').textContent = devices === 1 ? 'One device is set up.'
        : devices > 1 ? devices + ' devices are set up.' : 'No device is set up yet.';
      show('done');
    });
  }

  // ---- wiring --------------------------------------------------------------------------------

  const ENTER = {
    totp: enterTotp,
    webauthn: enterWebauthn,
    recovery: enterRecovery,
    device: enterDevice
  };

  function start() {
    $('welcome-continue').addEventListener('click', function () {
      P.clearPageError();
      show(state.resumeAt);
    });
    $('password-form').addEventListener('submit', submitPassword);
    $('totp-form').addEventListener('submit', submitTotp);
    $('totp-skip').addEventListener('click', skipTotp);
    $('webauthn-form').addEventListener('submit', registerKey);
    $('webauthn-continue').addEventListener('click', leaveWebauthn);
    $('webauthn-back').addEventListener('click', function () { show('totp'); });
    $('recovery-ack').addEventListener('change', acknowledgeRecovery);
    $('recovery-download').addEventListener('click', downloadRecoveryCodes);
    $('recovery-continue').addEventListener('click', leaveRecovery);
    $('device-form').addEventListener('submit', generateDevice);
    $('device-location').addEventListener('change', function () { showConfig(Number($('device-location').value) || 0); });
    $('device-download').addEventListener('click', downloadConfig);
    $('device-finish').addEventListener('click', finish);
    window.addEventListener('pagehide', wipeConfigs);

    const token = tokenFromAddress();
    if (token) {
      redeem(token);
    } else {
      resume();
    }
  }

  start();
}());
