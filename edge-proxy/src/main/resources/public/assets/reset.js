/*
 * Choosing a new password with a reset link (enrollment/API.md): redeem the token from the address
 * bar (then remove it from there), then the new password and, when the account has one, a second
 * factor: a code from the authenticator app or a recovery code.
 */
(function () {
  'use strict';

  const P = window.Portcullis;
  const PREFIX = '/reset/';
  const API = '/api/v1/recovery/';
  const $ = P.byId;

  function tokenFromAddress() {
    const path = window.location.pathname;
    return path.indexOf(PREFIX) === 0 ? path.slice(PREFIX.length) : '';
  }

  function failed() {
    $('reset-loading').hidden = true;
    $('reset-form').hidden = true;
    $('reset-again').hidden = false;
  }

  async function redeem(token) {
    let answer;
    try {
      answer = await P.api('POST', API + 'redeem', { token: token });
    } catch (failure) {
      const undecided = failure instanceof P.NetworkError
        || (failure instanceof P.ApiError && (failure.status === 429 || failure.status >= 500));
      if (undecided) {
        P.pageError(failure.message + ' Reload the page to try again.');
      } else {
        window.history.replaceState(null, '', PREFIX);
        P.report(failure, null);
      }
      failed();
      return;
    }
    window.history.replaceState(null, '', PREFIX);
    P.setCsrf(answer.csrf);
    if (typeof answer.passwordRules === 'string') {
      $('reset-rules').textContent = answer.passwordRules;
    }
    const until = P.timeOfDay(answer.expiresAt);
    $('reset-expires').textContent = until ? 'This link stays open until ' + until + '.' : '';
    $('reset-loading').hidden = true;
    $('reset-form').hidden = false;
    $('reset-password').focus();
  }

  async function submit(event) {
    event.preventDefault();
    const error = $('reset-error');
    P.clearError(error);
    P.clearPageError();
    const password = $('reset-password').value;
    const secondFactor = $('reset-second-factor').value.trim();
    if (!password) {
      P.showError(error, 'Enter a new password.');
      return;
    }
    if (password !== $('reset-password-confirm').value) {
      P.showError(error, 'The two passwords are not the same.');
      return;
    }
    await P.busy($('reset-submit'), async function () {
      try {
        await P.api('POST', API + 'password', { password: password, secondFactor: secondFactor });
      } catch (failure) {
        P.report(failure, error);
        return;
      }
      $('reset-password').value = '';
      $('reset-password-confirm').value = '';
      $('reset-second-factor').value = '';
      P.setCsrf(null);
      $('reset').hidden = true;
      $('reset-done').hidden = false;
      $('reset-done-title').focus();
    });
  }

  function start() {
    $('reset-form').addEventListener('submit', submit);
    const token = tokenFromAddress();
    if (token) {
      redeem(token);
    } else {
      P.pageError('Open the password reset link you were sent. If it no longer works, request a new one.');
      failed();
    }
  }

  start();
}());
