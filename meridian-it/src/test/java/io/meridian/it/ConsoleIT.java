package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.lab.Lab;
import io.meridian.lab.LabTopology;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real browser (Debian's headless Chromium through its ChromeDriver) on a
 * lab of three region processes with TLS and access tokens required, whose failovers an operator
 * decides: the page asks for a token and streams the overview with it, shows the three
 * regions and their links, shows a cut link as cut and healed again, and approves a pending
 * failover decision from the keyboard, after which the killed region's keys fail over.
 * Screenshots go to {@code target/console-screenshots}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleIT {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("target", "console-screenshots");
    /** The cut must show within the issue's 5 s; the wait is longer so a loaded machine reports how late rather than only failing. */
    static final Duration SHOWN_WITHIN = Duration.ofSeconds(5);

    @TempDir
    static Path dir;
    Lab lab;
    ChromeDriver browser;
    String url;
    /** The lab's own client: its certificate (client lab) administers the lab. */
    HttpClient http;
    final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    void up() throws IOException {
        assertThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER))
                .as("the console test drives %s through %s: install Debian's packages chromium and chromium-driver (.ci/run does)",
                        CHROMIUM, CHROMEDRIVER)
                .isTrue();
        Files.createDirectories(SHOTS);
        lab = LabFixture.up(dir, new LabTopology.Setup(0.2, 0, 0).withTls(true));
        url = lab.state().orElseThrow().region("us-east").orElseThrow().url();
        assertThat(url).startsWith("https://");
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(lab.tls().orElseThrow()).build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.setAcceptInsecureCerts(true); // the lab's own CA, which this browser profile does not know
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1440,900", "--user-data-dir=" + dir.resolve("chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60)).scriptTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    void down() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        LabFixture.down(lab, null, dir);
    }

    @Test
    void showsTheRegionsACutLinkAndItsHealingAndApprovesAPendingFailoverFromTheKeyboard() throws Exception {
        // Some traffic all along (20 writes and reads a second), so the rates and charts have something to show.
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread traffic = Thread.ofVirtual().start(() -> {
            for (int i = 0; !done.get(); i++) {
                try {
                    send("PUT", "/v1/kv/sessions/console-" + (i % 100), "{\"n\":" + i + "}");
                    send("GET", "/v1/kv/sessions/console-" + (i % 100), null);
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception | AssertionError e) {
                    // a write refused during the failover is not this test's subject
                }
            }
        });
        try {
            showsTheRegionsACutLinkAndItsHealingAndApprovesAPendingFailover();
        } finally {
            done.set(true);
            traffic.join();
        }
    }

    private void showsTheRegionsACutLinkAndItsHealingAndApprovesAPendingFailover() throws Exception {
        // The lab requires tokens: the page asks for one (the browser shows no certificate), then streams with it.
        String token = json.readTree(send("POST", "/v1/tokens", "{\"name\": \"console\", \"scopes\": [\"read:*\", \"admin\"]}"))
                .path("token").asText();
        browser.get(url + "/console");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        wait.until(b -> {
            try {
                org.openqa.selenium.Alert asked = b.switchTo().alert();
                assertThat(asked.getText()).contains("requires an access token");
                asked.sendKeys(token);
                asked.accept();
                return true;
            } catch (org.openqa.selenium.NoAlertPresentException e) {
                return false;
            }
        });
        wait.until(b -> count("#region-table tbody tr[data-state='active']") == 3);
        wait.until(b -> count("#link-table tbody tr[data-state='up']") == 6);
        assertThat(text("#served-by")).contains("us-east");
        assertThat(count("#keyspace-table tbody tr")).as("a row per configured keyspace").isEqualTo(lab.config().keyspaces().size());
        wait.until(b -> count("#cost-pairs tbody tr") == 6 && count("#cost-keyspaces tbody tr[data-keyspace='(control)']") == 1);
        wait.until(b -> Integer.parseInt(attribute("body", "data-overviews").isEmpty() ? "0" : attribute("body", "data-overviews")) >= 8);
        printPageFigures();
        shoot("1-three-regions");

        // A cut link shows as down (silent, then cut once a probe fails), in both directions, within seconds.
        lab.partition("us-east", "eu-west");
        long cutAt = System.nanoTime();
        List<String> down = List.of("silent", "cut");
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(b -> down.contains(state("us-east>eu-west"))
                && down.contains(state("eu-west>us-east")));
        Duration shown = Duration.ofNanos(System.nanoTime() - cutAt);
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(b -> state("us-east>eu-west").equals("cut"));
        System.out.printf("console: the cut link showed as down %d ms after the partition, as cut after %d ms%n",
                shown.toMillis(), (System.nanoTime() - cutAt) / 1_000_000);
        assertThat(state("us-east>ap-southeast")).isEqualTo("up");
        assertThat(state("eu-west>ap-southeast")).as("seen from ap-southeast").isEqualTo("up");
        shoot("2-link-cut");
        assertThat(shown).as("time for the cut to show").isLessThanOrEqualTo(SHOWN_WITHIN);
        lab.heal("us-east", "eu-west");
        long healedAt = System.nanoTime();
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(b -> state("us-east>eu-west").equals("up")
                && state("eu-west>us-east").equals("up"));
        System.out.printf("console: the healed link showed as up %d ms after the heal%n", (System.nanoTime() - healedAt) / 1_000_000);
        shoot("3-link-healed");

        // A killed region: the operator's decision waits in the page; approved from the keyboard, the failover happens.
        wait.until(b -> noOpenDecision());
        wait.until(b -> count("#decisions li[data-status='pending'], #decisions li[data-status='fencing']") == 0); // the page too
        lab.kill("ap-southeast");
        String pending = "#decisions li[data-status='pending'][data-region='ap-southeast'] button[data-action='approve']";
        new WebDriverWait(browser, Duration.ofSeconds(90)).until(b -> count(pending) > 0);
        String id = attribute(pending, "data-id");
        assertThat(text(pending)).contains("ap-southeast");
        shoot("4-decision-pending", "failover");
        // A real button: reached and pressed without a mouse. (The list is redrawn when a decision changes: find it afresh.)
        new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(b -> {
                    b.findElement(By.cssSelector(pending)).sendKeys(Keys.ENTER);
                    return true;
                });
        wait.until(b -> {
            try {
                b.switchTo().alert().accept(); // the page asks the operator to confirm
                return true;
            } catch (org.openqa.selenium.NoAlertPresentException e) {
                return false;
            }
        });
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(b -> decisionStatus(id).equals("failed-over"));
        assertThat(text("#action-result")).contains("#" + id + " approved");
        JsonNode decision = failovers().path("decisions").findParents("id").stream()
                .filter(d -> d.path("id").asText().equals(id)).findFirst().orElseThrow();
        assertThat(decision.path("status").asText()).isEqualTo("failed-over");
        assertThat(decision.path("history").toString()).contains("operator");
        wait.until(b -> count("#acting-table tbody tr[data-region='ap-southeast'] td.moved") > 0);
        shoot("5-failed-over", "failover");
        shoot("6-charts", "charts");
        shoot("7-cost", "cost");

        // The what-if, from the keyboard: the sessions traffic of us-east, were sessions primary in eu-west.
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("whatif-keyspace"))).selectByValue("sessions");
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("whatif-change"))).selectByValue("primary");
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("whatif-to"))).selectByValue("eu-west");
        browser.findElement(By.cssSelector("#whatif-form button[type='submit']")).sendKeys(Keys.ENTER);
        wait.until(b -> text("#whatif-summary").startsWith("What if we make 'sessions' a primary keyspace with its primary in eu-west")
                && count("#whatif-regions tbody tr[data-region='us-east']") == 1);
        // us-east's client alternates PUTs and GETs: its writes would go to eu-west, its reads stay local.
        String row = "#whatif-regions tbody tr[data-region='us-east'] ";
        assertThat(text(row + "td:nth-child(6)")).as("us-east's requests forwarded, now → after")
                .startsWith("0% → ").isNotEqualTo("0% → 0%");
        String[] writeMs = text(row + "td:nth-child(5)").replace(",", "").split(" → ");
        assertThat(Double.parseDouble(writeMs[1])).as("us-east's write time after, against now (ms): %s", String.join(" → ", writeMs))
                .isGreaterThan(Double.parseDouble(writeMs[0]));
        assertThat(text(row + "td:nth-child(4)")).as("us-east's reads keep their time").matches("([0-9.]+) → \\1");
        assertThat(count("#whatif-assumptions li")).isGreaterThan(3);
        shoot("8-what-if", "cost");
    }

    /** Read in the page, in one step: the page redraws its tables every second, so an element found earlier goes stale. */
    private String attribute(String css, String name) {
        Object value = ((JavascriptExecutor) browser).executeScript(
                "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : '';", css, name);
        return value == null ? "" : value.toString();
    }

    private String text(String css) {
        Object value = ((JavascriptExecutor) browser).executeScript(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", css);
        return value == null ? "" : value.toString();
    }

    private int count(String css) {
        return ((Number) ((JavascriptExecutor) browser).executeScript("return document.querySelectorAll(arguments[0]).length;", css))
                .intValue();
    }

    private String state(String link) {
        return attribute("#link-table tbody tr[data-link='" + link + "']", "data-state");
    }

    private String decisionStatus(String id) {
        return attribute("#decisions > li[data-decision='" + id + "']", "data-status");
    }

    private boolean noOpenDecision() {
        try {
            for (JsonNode d : failovers().path("decisions")) {
                if (List.of("pending", "fencing").contains(d.path("status").asText())) {
                    return false;
                }
            }
            return true;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private JsonNode failovers() throws IOException, InterruptedException {
        return json.readTree(send("GET", "/v1/failovers", null));
    }

    private String send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(10));
        request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
                : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isLessThan(300);
        return response.body();
    }

    /** The page's weight and its time to first figures, as the browser measured them (docs/console.md). */
    @SuppressWarnings("unchecked")
    private void printPageFigures() {
        Map<String, Object> figures = (Map<String, Object>) ((JavascriptExecutor) browser).executeScript("""
                const nav = performance.getEntriesByType('navigation')[0];
                const files = performance.getEntriesByType('resource').filter(r => !r.name.includes('/v1/'));
                const paint = performance.getEntriesByName('first-contentful-paint')[0];
                const first = performance.getEntriesByName('first-overview')[0];
                return {bytes: nav.encodedBodySize + files.reduce((a, r) => a + r.encodedBodySize, 0), files: files.length + 1,
                        paint_ms: paint ? Math.round(paint.startTime) : -1, first_overview_ms: first ? Math.round(first.startTime) : -1,
                        loaded_ms: Math.round(nav.loadEventEnd)};""");
        System.out.println("console page: " + figures);
    }

    private void shoot(String name) throws IOException {
        shoot(name, null);
    }

    /** A screenshot of the window (a laptop's 1440 × 900), scrolled to a section when one is named. */
    private void shoot(String name, String section) throws IOException {
        ((JavascriptExecutor) browser).executeScript(section == null ? "window.scrollTo(0, 0);"
                : "document.getElementById(arguments[0]).scrollIntoView();", section);
        Path png = SHOTS.resolve(name + ".png");
        Files.write(png, browser.getScreenshotAs(OutputType.BYTES));
        System.out.println("console screenshot: " + png.toAbsolutePath());
    }
}
