/*
 * Asking for a password reset link. The answer is the same whether or not the address belongs to
 * an account, so this page shows the same message either way.
 */
(function () {
  'use strict';

  const P = window.Portcullis;
  const $ = P.byId;

  async function submit(event) {
    event.preventDefault();
    const error = $('forgot-error');
    P.clearError(error);
    P.clearPageError();
    const email = $('forgot-email').value.trim();
    if (!email || email.indexOf('@') < 1) {
      P.showError(error, 'Enter the e-mail address of your account.');
      return;
    }
    await P.busy($('forgot-submit'), async function () {
      try {
        await P.api('POST', '/api/v1/recovery/request', { email: email });
      } catch (failure) {
        P.report(failure, error);
        return;
      }
      $('forgot').hidden = true;
      $('forgot-done').hidden = false;
      $('forgot-done-title').focus();
    });
  }

  $('forgot-form').addEventListener('submit', submit);
}());
