package dev.portcullis.edge.pages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.edge.pages.StaticPages.Page;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What ships in the jar, read from the class path exactly as the proxy serves it: the pages keep
 * the element ids of the contract, load only their own assets, and contain nothing the page
 * Content-Security-Policy would have to allow with 'unsafe-inline'.
 */
class PageSourcesTest {

    /** enrollment/API.md, "Element ids the pages keep stable". */
    private static final Map<Page, List<String>> CONTRACT_IDS = Map.of(
            Page.ENROLL, List.of("error", "step-welcome", "welcome-name", "welcome-continue",
                    "step-password", "password", "password-confirm", "password-submit", "password-error",
                    "step-totp", "totp-qr", "totp-secret", "totp-code", "totp-submit", "totp-error", "totp-skip",
                    "step-webauthn", "webauthn-name", "webauthn-register", "webauthn-error", "webauthn-list", "webauthn-continue",
                    "step-recovery", "recovery-codes", "recovery-ack", "recovery-continue",
                    "step-device", "device-name", "device-generate", "device-config", "device-qr", "device-download",
                    "device-agent", "device-finish", "step-done"),
            Page.RESET, List.of("error", "reset-password", "reset-password-confirm", "reset-second-factor", "reset-submit",
                    "reset-error", "reset-done"),
            Page.FORGOT, List.of("error", "forgot-email", "forgot-submit", "forgot-done"),
            // client-agent/SESSION-API.md, "Browser hand-off for WebAuthn" (checked against that file below).
            Page.MFA, List.of("mfa-summary", "mfa-confirm", "mfa-done", "mfa-error"));
    /** The MFA page's own text the contract fixes (SESSION-API.md). */
    private static final String MFA_DONE_TEXT = "You can close this tab; your device is connecting.";
    private static final List<String> ENROLL_STEPS = List.of("step-welcome", "step-password", "step-totp", "step-webauthn",
            "step-recovery", "step-device", "step-done");

    /** Plain links between the pages (not loaded, followed by the user). */
    private static final Set<String> PAGE_LINKS = Set.of("/forgot");

    private static final Pattern TAG = Pattern.compile("<([a-zA-Z][a-zA-Z0-9-]*)(\\s[^>]*)?>", Pattern.DOTALL);
    private static final Pattern ATTRIBUTE = Pattern.compile("([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\\s*=\\s*(\"[^\"]*\"|'[^']*'|[^\\s>]+))?");
    /** An element looked up by id in a page script ({@code $('x')} or {@code byId('x')}). */
    private static final Pattern ID_LOOKUP = Pattern.compile("\\$\\('([a-z0-9-]+)'\\)|byId\\('([a-z0-9-]+)'\\)");
    /** The shared helpers that write into the page-level #error element (portcullis.js). */
    private static final Pattern PAGE_LEVEL_HELPERS = Pattern.compile("P\\.(report|pageError|clearPageError)\\(");
    private static final Pattern SCRIPT_ELEMENT = Pattern.compile("<script\\b([^>]*)>(.*?)</script\\s*>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);

    private final StaticPages pages = StaticPages.fromClasspath();

    @ParameterizedTest
    @EnumSource(Page.class)
    void everyPageKeepsTheElementIdsOfTheContractOnceEach(Page page) {
        List<String> ids = ids(html(page));

        for (String id : CONTRACT_IDS.get(page)) {
            assertThat(ids).as("#%s in %s", id, page.file()).containsOnlyOnce(id);
        }
        assertThat(new LinkedHashSet<>(ids)).as("no id twice in %s", page.file()).hasSize(ids.size());
    }

    @Test
    void everyIdTheContractListsIsCheckedHere() throws Exception {
        // The contract lives in the enrollment module; if its list changes, the pages (and this test) must follow.
        Path contract = Path.of("..", "enrollment", "API.md");
        assertThat(contract).exists();
        String text = Files.readString(contract, StandardCharsets.UTF_8);
        String section = text.substring(text.indexOf("## Element ids"));
        Set<String> documented = new LinkedHashSet<>();
        Matcher id = Pattern.compile("`#([a-z][a-z0-9-]*)`").matcher(section);
        while (id.find()) {
            documented.add(id.group(1));
        }
        Set<String> checked = CONTRACT_IDS.values().stream().flatMap(List::stream).collect(Collectors.toSet());

        assertThat(documented).hasSizeGreaterThan(40);
        assertThat(checked).containsAll(documented);
    }

    @Test
    void everyIdTheSessionContractListsForTheMfaPageIsOnIt() throws Exception {
        // The hand-off contract lives in the client-agent module; the agent, core and the browser test rely on these ids.
        Path contract = Path.of("..", "client-agent", "SESSION-API.md");
        assertThat(contract).exists();
        String text = Files.readString(contract, StandardCharsets.UTF_8);
        int section = text.indexOf("## Browser hand-off for WebAuthn");
        assertThat(section).as("the hand-off section of %s", contract).isNotNegative();
        int end = text.indexOf("\n## ", section + 1);
        String handOff = text.substring(section, end < 0 ? text.length() : end);
        int paragraph = handOff.indexOf("Page element ids");
        assertThat(paragraph).as("the element id list of %s", contract).isNotNegative();
        int paragraphEnd = handOff.indexOf("\n\n", paragraph);
        String ids = handOff.substring(paragraph, paragraphEnd < 0 ? handOff.length() : paragraphEnd);
        Set<String> documented = new LinkedHashSet<>();
        Matcher id = Pattern.compile("`([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`").matcher(ids);
        while (id.find()) {
            documented.add(id.group(1));
        }

        assertThat(documented).containsExactlyInAnyOrderElementsOf(CONTRACT_IDS.get(Page.MFA));
        assertThat(ids(html(Page.MFA))).containsAll(documented);
        assertThat(ids).contains(MFA_DONE_TEXT);
    }

    @Test
    void theMfaPageShowsOnlyItsSummaryBeforeAnyScriptRunsAndSaysTheContractsClosingText() {
        Map<String, Map<String, String>> elements = new LinkedHashMap<>();
        Matcher tag = TAG.matcher(html(Page.MFA));
        while (tag.find()) {
            Map<String, String> attributes = attributes(tag.group(2));
            if (attributes.containsKey("id")) {
                elements.put(attributes.get("id"), attributes);
            }
        }

        assertThat(elements.get("mfa-summary")).doesNotContainKey("hidden").containsEntry("role", "status");
        assertThat(elements.get("mfa-confirm")).containsKey("hidden").containsEntry("type", "button");
        assertThat(elements.get("mfa-done")).containsKey("hidden").containsEntry("role", "status");
        assertThat(elements.get("mfa-error")).containsKey("hidden").containsEntry("role", "alert");
        assertThat(html(Page.MFA)).contains(">" + MFA_DONE_TEXT + "<");
    }

    @Test
    void theMfaScriptSendsTheTokenOnlyToTheHandOffCallsAndTheAssertionInTheContractsShape() {
        String mfa = asset("mfa.js");

        assertThat(mfa).contains("const API = '/api/v1/tunnel/webauthn/'", "P.api('POST', API + 'options', { token: token })",
                "P.api('POST', API + 'finish', { token: token, credential: assertionJson(credential) })");
        assertThat(mfa.split("P\\.api\\(", -1)).as("exactly two API calls").hasSize(3);
        assertThat(mfa).contains("navigator.credentials.get({ publicKey: pending })",
                "options.challenge = P.base64urlToBytes(json.challenge)", "id: P.base64urlToBytes(credential.id)");
        int shape = mfa.indexOf("function assertionJson");
        String assertion = mfa.substring(shape, mfa.indexOf("\n  }\n", shape));
        for (String field : List.of("id: credential.id", "rawId: P.bytesToBase64url(credential.rawId)", "type: credential.type",
                "clientDataJSON: P.bytesToBase64url(response.clientDataJSON)",
                "authenticatorData: P.bytesToBase64url(response.authenticatorData)",
                "signature: P.bytesToBase64url(response.signature)", "userHandle: response.userHandle ? P.bytesToBase64url(response.userHandle) : null",
                "clientExtensionResults:")) {
            assertThat(assertion).contains(field);
        }
        // The shared helpers are reused, not copied.
        assertThat(mfa).doesNotContain("atob(", "btoa(", "fetch(", "sessionStorage", "JSON.stringify");
        assertThat(mfa).contains("'Confirm the tunnel to ' + text(about.location) + ' for ' + text(about.device)",
                "' (' + text(about.user) + ')'");
    }

    @Test
    void theEnrollPageShowsExactlyOneStepBeforeAnyScriptRuns() {
        List<String> steps = new ArrayList<>();
        List<String> visible = new ArrayList<>();
        Matcher tag = TAG.matcher(html(Page.ENROLL));
        while (tag.find()) {
            Map<String, String> attributes = attributes(tag.group(2));
            String id = attributes.get("id");
            if (id != null && id.startsWith("step-")) {
                steps.add(id);
                if (!attributes.containsKey("hidden")) {
                    visible.add(id);
                }
            }
        }

        assertThat(steps).containsExactlyElementsOf(ENROLL_STEPS);
        assertThat(visible).containsExactly("step-welcome");
    }

    @ParameterizedTest
    @EnumSource(Page.class)
    void noPageHasInlineScriptInlineStyleOrEventHandlerAttributes(Page page) {
        String html = html(page);

        Matcher script = SCRIPT_ELEMENT.matcher(html);
        int scripts = 0;
        while (script.find()) {
            scripts++;
            assertThat(attributes(script.group(1))).as("script in %s", page.file()).containsKey("src");
            assertThat(script.group(2).trim()).as("inline script in %s", page.file()).isEmpty();
        }
        assertThat(scripts).isPositive();
        assertThat(html.toLowerCase(Locale.ROOT)).as("<style> in %s", page.file()).doesNotContain("<style");
        Matcher tag = TAG.matcher(html);
        while (tag.find()) {
            for (String name : attributes(tag.group(2)).keySet()) {
                assertThat(name.toLowerCase(Locale.ROOT)).as("attribute %s on <%s> in %s", name, tag.group(1), page.file())
                        .isNotEqualTo("style").doesNotStartWith("on");
            }
            assertThat(tag.group(0).toLowerCase(Locale.ROOT)).as("javascript: URL in %s", page.file()).doesNotContain("javascript:");
        }
    }

    @ParameterizedTest
    @EnumSource(Page.class)
    void pagesLoadOnlyTheirOwnAssetsAndEveryOneExists(Page page) {
        List<String> references = new ArrayList<>();
        Matcher tag = TAG.matcher(html(page));
        while (tag.find()) {
            Map<String, String> attributes = attributes(tag.group(2));
            for (String name : List.of("src", "href", "action", "formaction", "srcset", "poster", "data")) {
                if (attributes.containsKey(name)) {
                    references.add(attributes.get(name));
                }
            }
        }

        assertThat(references).contains("/assets/portcullis.css", "/assets/portcullis.js");
        for (String reference : references) {
            if ("data:,".equals(reference)) {
                continue; // the empty favicon: keeps browsers from asking for /favicon.ico
            }
            if (PAGE_LINKS.contains(reference)) {
                continue; // a link to another of these pages
            }
            assertThat(reference).as("reference in %s", page.file()).startsWith("/assets/");
            assertThat(pages.asset(reference.substring("/assets/".length()))).as("%s in %s", reference, page.file()).isPresent();
        }
    }

    @Test
    void theMfaPageLoadsTheSharedScriptBeforeItsOwnAndNoQrLibrary() {
        String html = html(Page.MFA);

        assertThat(html.indexOf("/assets/portcullis.js")).isPositive().isLessThan(html.indexOf("/assets/mfa.js"));
        assertThat(html).doesNotContain("/assets/qrcode.js");
    }

    @Test
    void theEnrollPageLoadsTheQrLibraryBeforeTheScriptsThatUseIt() {
        String html = html(Page.ENROLL);

        assertThat(html.indexOf("/assets/qrcode.js")).isPositive().isLessThan(html.indexOf("/assets/portcullis.js"));
        assertThat(html.indexOf("/assets/portcullis.js")).isLessThan(html.indexOf("/assets/enroll.js"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"portcullis.js", "enroll.js", "reset.js", "forgot.js", "mfa.js"})
    void ownScriptsNeverWriteMarkupStylesOrHandlersAndStoreNothingLasting(String name) {
        String script = asset(name);

        for (String forbidden : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                "setTimeout('", "setTimeout(\"", "setInterval(", ".style", "cssText", "setAttribute('style", "setAttribute('on",
                "javascript:", "localStorage", "indexedDB", "document.cookie", "createTableTag", "createImgTag", "createSvgTag",
                "import(", "http://", "https://")) {
            assertThat(script).as("%s in %s", forbidden, name).doesNotContain(forbidden);
        }
        assertThat(script).as("%s assigns an event handler property", name).doesNotContainPattern("\\.on[a-z]+\\s*=[^=]");
    }

    @Test
    void scriptsUseOnlyElementIdsTheirPageHas() {
        Map<String, Page> owners = Map.of("enroll.js", Page.ENROLL, "reset.js", Page.RESET, "forgot.js", Page.FORGOT, "mfa.js", Page.MFA);
        for (Map.Entry<String, Page> owner : owners.entrySet()) {
            List<String> ids = ids(html(owner.getValue()));
            String script = asset(owner.getKey());
            List<String> used = new ArrayList<>(lookups(script));
            assertThat(used).as("lookups in %s", owner.getKey()).isNotEmpty();
            if (PAGE_LEVEL_HELPERS.matcher(script).find()) {
                used.addAll(lookups(asset("portcullis.js")));
            }
            for (String id : used) {
                assertThat(ids).as("#%s used by %s", id, owner.getKey()).contains(id);
            }
        }
    }

    @Test
    void theMfaPageShowsEveryMessageInItsOwnErrorElementNotThePageLevelOne() {
        // The contract names #mfa-error as the one place for messages; the page has no #error for the shared helpers.
        assertThat(ids(html(Page.MFA))).doesNotContain("error");
        assertThat(PAGE_LEVEL_HELPERS.matcher(asset("mfa.js")).find()).isFalse();
        assertThat(lookups(asset("portcullis.js"))).containsOnly("error");
    }

    private static List<String> lookups(String script) {
        List<String> ids = new ArrayList<>();
        Matcher used = ID_LOOKUP.matcher(script);
        while (used.find()) {
            ids.add(used.group(1) != null ? used.group(1) : used.group(2));
        }
        return ids;
    }

    @Test
    void theDevicePrivateKeyIsMadeInTheBrowserAndOnlyThePublicKeyIsSent() {
        String enroll = asset("enroll.js");
        int devicesCall = enroll.indexOf("API + 'devices'");
        String devicesRequest = enroll.substring(devicesCall, enroll.indexOf("});", devicesCall));

        assertThat(devicesRequest).contains("wireguardPublicKey: P.bytesToBase64(keys.publicKey)", "credentialPublicKey: null",
                "kind: 'config'").doesNotContain("privateKey");
        assertThat(enroll).contains("generateKey({ name: 'X25519' }, true, ['deriveBits'])", "exportKey('raw', pair.publicKey)",
                "exportKey('pkcs8', pair.privateKey)");
        assertThat(enroll.split("sessionStorage\\.setItem", -1)).as("the only thing kept (per tab): the CSRF value").hasSize(2);
        assertThat(enroll).contains("window.sessionStorage.setItem(CSRF_STORAGE_KEY, csrf)");
    }

    @Test
    void theVendoredQrLibraryIsTheBrowserBuildAndNeverTouchesThePage() {
        String library = asset("qrcode.js");

        assertThat(library).contains("QR Code Generator for JavaScript", "Licensed under the MIT license", "var qrcode = function()");
        for (String forbidden : List.of("eval(", "new Function", "document.", "innerHTML", "XMLHttpRequest", "fetch(", "import(")) {
            assertThat(library).as(forbidden).doesNotContain(forbidden);
        }
    }

    @Test
    void everyFileHasItsContentTypeAndNothingElseIsAnAsset() {
        for (String name : StaticPages.ASSET_NAMES) {
            StaticResource asset = pages.asset(name).orElseThrow();
            assertThat(asset.length()).as(name).isPositive();
            assertThat(asset.contentType()).startsWith(name.endsWith(".css") ? "text/css" : "text/javascript");
        }
        for (Page page : Page.values()) {
            assertThat(pages.page(page).contentType()).isEqualTo("text/html; charset=utf-8");
        }
        assertThat(pages.asset("../enroll.html")).isEmpty();
        assertThat(pages.asset("enroll.html")).isEmpty();
        assertThat(pages.asset("")).isEmpty();
    }

    private String html(Page page) {
        return new String(pages.page(page).bytes(), StandardCharsets.UTF_8);
    }

    private String asset(String name) {
        return new String(pages.asset(name).orElseThrow().bytes(), StandardCharsets.UTF_8);
    }

    private static List<String> ids(String html) {
        List<String> ids = new ArrayList<>();
        Matcher tag = TAG.matcher(html);
        while (tag.find()) {
            String id = attributes(tag.group(2)).get("id");
            if (id != null) {
                ids.add(id);
            }
        }
        return ids;
    }

    private static Map<String, String> attributes(String text) {
        Map<String, String> attributes = new LinkedHashMap<>();
        if (text == null) {
            return attributes;
        }
        Matcher attribute = ATTRIBUTE.matcher(text);
        while (attribute.find()) {
            String value = attribute.group(2);
            if (value != null && (value.startsWith("\"") || value.startsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            attributes.put(attribute.group(1), value == null ? "" : value);
        }
        return attributes;
    }
}
