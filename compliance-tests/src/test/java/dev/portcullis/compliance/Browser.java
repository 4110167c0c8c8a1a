package dev.portcullis.compliance;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.chromium.ChromiumDriverLogLevel;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticator;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticatorOptions;

/**
 * A real browser for the enrollment tests: Debian's headless chromium driven through Debian's
 * chromedriver (both by absolute path; Selenium Manager is never asked for anything), a fresh
 * profile per instance, a virtual WebAuthn authenticator on demand, and a numbered screenshot of
 * every step kept as evidence under {@code compliance-tests/<build dir>/evidence/<name>/}.
 *
 * <p>Self-signed server certificates: the caller names the certificates to trust and the browser
 * gets their SPKI hashes in {@code --ignore-certificate-errors-spki-list}. Chromium then treats a
 * chain containing such a key as <em>valid</em>, not as a certificate error the user clicked
 * through. That matters: Chromium refuses WebAuthn on a page with a certificate error
 * ({@code acceptInsecureCerts} alone gives exactly that state), while a pinned key leaves the page a
 * normal secure context. {@code BrowserFixtureTest} proves both halves.
 */
final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** How long a page element gets to appear; generous for a loaded 2-core machine. */
    static final Duration WAIT = Duration.ofSeconds(30);

    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final Path profile;
    private final Path evidence;
    /** Step numbers run on per evidence directory, across the browsers a scenario starts. */
    private static final Map<Path, java.util.concurrent.atomic.AtomicInteger> STEPS = new java.util.concurrent.ConcurrentHashMap<>();

    static {
        // Selenium Manager is never run (the driver is named below); should anything still try,
        // it must neither download nor report. Selenium passes SE_* properties to it as environment.
        System.setProperty("SE_OFFLINE", "true");
        System.setProperty("SE_AVOID_STATS", "true");
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    }

    private Browser(ChromeDriverService service, ChromeDriver driver, Path profile, Path evidence) {
        this.service = service;
        this.driver = driver;
        this.profile = profile;
        this.evidence = evidence;
    }

    /** Where the screenshots of one scenario go; emptied of an earlier run's screenshots. */
    static Path evidenceDirectory(String scenario) throws IOException {
        Path dir = Artifacts.root().resolve("compliance-tests").resolve(Artifacts.buildDir())
                .resolve("evidence").resolve(scenario);
        Files.createDirectories(dir);
        try (Stream<Path> old = Files.list(dir)) {
            for (Path file : old.filter(p -> p.getFileName().toString().endsWith(".png")).toList()) {
                Files.delete(file);
            }
        }
        STEPS.put(dir, new java.util.concurrent.atomic.AtomicInteger());
        return dir;
    }

    /** Options only (for experiments): the standard flags plus the given extra arguments. */
    static ChromeOptions options(Path profile, List<String> extraArguments) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1400", "--lang=en-US",
                "--user-data-dir=" + profile);
        options.addArguments(extraArguments);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, java.util.logging.Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        return options;
    }

    /** A browser that trusts exactly these (self-signed or CA) certificates' keys, and nothing insecure. */
    static Browser start(Path evidence, List<X509Certificate> trusted) throws IOException {
        List<String> extra = new ArrayList<>();
        if (!trusted.isEmpty()) {
            extra.add("--ignore-certificate-errors-spki-list=" + String.join(",", trusted.stream().map(Browser::spkiPin).toList()));
        }
        return start(evidence, extra, false);
    }

    /** The general form, also used by the fixture's own negative experiment. */
    static Browser start(Path evidence, List<String> extraArguments, boolean acceptInsecureCerts) throws IOException {
        Path profile = Files.createTempDirectory("portcullis-chromium-");
        Path logs = Artifacts.root().resolve("compliance-tests").resolve(Artifacts.buildDir()).resolve("browser-logs");
        Files.createDirectories(logs);
        ChromeDriverService service = null;
        try {
            service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(CHROMEDRIVER.toFile())
                    .usingAnyFreePort()
                    .withLogFile(new File(logs.resolve("chromedriver-" + System.currentTimeMillis() + ".log").toString()))
                    .withLogLevel(ChromiumDriverLogLevel.INFO)
                    .withEnvironment(Map.of("SE_OFFLINE", "true", "SE_AVOID_STATS", "true"))
                    .build();
            ChromeOptions options = options(profile, extraArguments);
            options.setAcceptInsecureCerts(acceptInsecureCerts);
            ChromeDriver driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
            return new Browser(service, driver, profile, evidence);
        } catch (RuntimeException | Error e) {
            if (service != null) {
                service.stop();
            }
            deleteTree(profile);
            throw e;
        }
    }

    /** base64(SHA-256(SubjectPublicKeyInfo DER)), the form Chromium's SPKI allow-list takes. */
    static String spkiPin(X509Certificate certificate) {
        try {
            return Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A CTAP2 authenticator with resident keys and user verification that always verifies the user. */
    VirtualAuthenticator addVirtualAuthenticator() {
        return driver.addVirtualAuthenticator(new VirtualAuthenticatorOptions()
                .setProtocol(VirtualAuthenticatorOptions.Protocol.CTAP2)
                .setTransport(VirtualAuthenticatorOptions.Transport.USB)
                .setHasResidentKey(true)
                .setHasUserVerification(true)
                .setIsUserVerified(true)
                .setIsUserConsenting(true));
    }

    ChromeDriver driver() {
        return driver;
    }

    void open(String url) {
        driver.get(url);
    }

    /** Waits until the element is displayed and returns it. */
    WebElement visible(String cssSelector) {
        return new WebDriverWait(driver, WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(cssSelector)));
    }

    /** Waits until the element's text is non-blank and returns that text. */
    String textOf(String cssSelector) {
        return new WebDriverWait(driver, WAIT).until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(cssSelector));
            if (found.isEmpty() || !found.get(0).isDisplayed()) {
                return null;
            }
            String text = found.get(0).getText();
            return text == null || text.isBlank() ? null : text;
        });
    }

    /** Waits until the element is displayed and its text contains the fragment (case-insensitive). */
    String awaitText(String cssSelector, String fragment) {
        return new WebDriverWait(driver, WAIT).until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(cssSelector));
            if (found.isEmpty() || !found.get(0).isDisplayed()) {
                return null;
            }
            String text = found.get(0).getText();
            return text != null && text.toLowerCase(java.util.Locale.ROOT).contains(fragment.toLowerCase(java.util.Locale.ROOT))
                    ? text : null;
        });
    }

    void type(String cssSelector, String text) {
        WebElement field = visible(cssSelector);
        field.clear();
        field.sendKeys(text);
    }

    void click(String cssSelector) {
        new WebDriverWait(driver, WAIT).until(ExpectedConditions.elementToBeClickable(By.cssSelector(cssSelector))).click();
    }

    Object script(String javascript, Object... arguments) {
        return ((JavascriptExecutor) driver).executeScript(javascript, arguments);
    }

    /** Saves the page as {@code NN-<step>.png} in the evidence directory and returns the file. */
    Path screenshot(String stepName) throws IOException {
        int step = STEPS.computeIfAbsent(evidence, d -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        Path file = evidence.resolve(String.format("%02d-%s.png", step, stepName));
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        return file;
    }

    /** The page's console messages so far (for failure messages). */
    String console() {
        StringBuilder out = new StringBuilder();
        try {
            for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
                out.append(entry.getLevel()).append(' ').append(entry.getMessage()).append('\n');
            }
        } catch (RuntimeException e) {
            out.append("(console not available: ").append(e.getMessage()).append(")\n");
        }
        return out.toString();
    }

    /** Quits the browser and the driver and deletes the profile, whatever state they are in. */
    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } catch (RuntimeException e) {
            // already gone; the service stop below still runs
        } finally {
            try {
                service.stop();
            } finally {
                deleteTree(profile);
            }
        }
    }

    Path profile() {
        return profile;
    }

    /** Processes whose command line names this path (a browser still using its profile). */
    static List<Long> processesUsing(Path path) throws IOException {
        List<Long> pids = new ArrayList<>();
        String needle = path.toString();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8);
                    if (cmdline.contains(needle)) {
                        pids.add(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // the process ended while we looked
                }
            }
        }
        return pids;
    }

    /**
     * Deletes a directory tree. Chromium's helper processes can still be flushing into the profile
     * for a moment after quit, so a failed pass is retried until a short deadline.
     */
    static void deleteTree(Path root) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                deleteOnce(root);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static void deleteOnce(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
