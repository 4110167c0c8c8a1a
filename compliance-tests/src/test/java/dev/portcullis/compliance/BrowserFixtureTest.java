package dev.portcullis.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.virtualauthenticator.Credential;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticator;

/**
 * The browser fixture on its own, against a self-contained WebAuthn page served over HTTPS with a
 * self-signed certificate by the JDK: proves that Debian's chromium, driven headless through
 * Debian's chromedriver, trusts exactly the pinned certificate and that its virtual authenticator
 * produces a credential a relying party accepts. The enrollment tests rely on all of it.
 *
 * <p>What the experiments behind this fixture found (Chromium 156, Selenium 4.38):
 * <ul>
 *   <li>{@code --ignore-certificate-errors-spki-list=<pin>} (with a {@code --user-data-dir}) makes
 *       the self-signed page load with no interstitial and as a secure context: trusted, not an error.</li>
 *   <li>Chromium skips its "no WebAuthn on pages with certificate errors" check while a virtual
 *       authenticator is attached, so {@code acceptInsecureCerts} would also have "worked" here but
 *       would test a state no real user's browser is in; the pin is the faithful choice.</li>
 *   <li>An IP address is never a WebAuthn RP ID ({@code SecurityError: This is an invalid domain}),
 *       whatever the certificate: the deployment under test is therefore reached as {@code localhost}.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserFixtureTest {

    private Path evidence;
    private Path work;

    @BeforeAll
    void directories() throws Exception {
        evidence = Browser.evidenceDirectory("browser-fixture");
        work = Path.of(System.getProperty("portcullis.test.output", "target/deployments"))
                .resolve("browser-fixture-" + System.currentTimeMillis()).toAbsolutePath();
        Files.createDirectories(work);
    }

    @AfterAll
    void removeWork() throws Exception {
        Browser.deleteTree(work);
    }

    @Test
    void aPinnedSelfSignedCertificateIsTrustedAndTheVirtualAuthenticatorRegistersACredential() throws Exception {
        Path profile;
        try (WebAuthnTestPage page = new WebAuthnTestPage("localhost", work);
             Browser browser = Browser.start(evidence, List.of(page.certificate()))) {
            profile = browser.profile();
            VirtualAuthenticator authenticator = browser.addVirtualAuthenticator();
            browser.open(page.url());
            assertThat(browser.textOf("#secure")).as("window.isSecureContext").isEqualTo("true");
            browser.screenshot("page-loaded");

            browser.click("#register");
            String result = browser.awaitText("#result", " ");
            browser.screenshot("credential-registered");

            assertThat(result).as(browser.console()).startsWith("registered ");
            String credentialId = result.substring("registered ".length());
            assertThat(page.refusals()).isEmpty();
            assertThat(page.registered()).as("credentials the relying party accepted").containsExactly(credentialId);
            List<Credential> stored = authenticator.getCredentials();
            assertThat(stored).hasSize(1);
            assertThat(stored.get(0).getRpId()).isEqualTo("localhost");
            assertThat(stored.get(0).isResidentCredential()).isTrue();
            assertThat(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(stored.get(0).getId()))
                    .isEqualTo(credentialId);
            assertThat(profile).isDirectory();
        }
        assertThat(profile).as("the temporary profile is deleted on close").doesNotExist();
        assertThat(Browser.processesUsing(profile)).as("browser processes left after close").isEmpty();
    }

    @Test
    void withoutThePinTheSelfSignedCertificateIsRefused() throws Exception {
        try (WebAuthnTestPage page = new WebAuthnTestPage("localhost", work);
             Browser browser = Browser.start(evidence, List.of())) {
            browser.open(page.url());
            browser.screenshot("unpinned-certificate-refused");

            assertThat(browser.driver().findElements(By.id("register"))).as("the page must not load").isEmpty();
            assertThat(page.requests()).as("requests past the TLS handshake").isZero();
        }
    }

    @Test
    void anIpAddressOriginCannotBeAWebAuthnRelyingParty() throws Exception {
        try (WebAuthnTestPage page = new WebAuthnTestPage("127.0.0.1", work);
             Browser browser = Browser.start(evidence, List.of(page.certificate()))) {
            VirtualAuthenticator authenticator = browser.addVirtualAuthenticator();
            browser.open(page.url());
            assertThat(browser.textOf("#secure")).as("the pinned certificate still makes a secure context").isEqualTo("true");

            browser.click("#register");
            String result = browser.awaitText("#result", " ");
            browser.screenshot("ip-address-rp-refused");

            assertThat(result).startsWith("error SecurityError");
            assertThat(authenticator.getCredentials()).isEmpty();
            assertThat(page.registered()).isEmpty();
        }
    }
}
